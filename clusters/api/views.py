"""Kubeconfigs for the current user, and revoking every token they hold."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clusters.api.renderers import KubeconfigYAMLRenderer
from clusters.api.serializers import (
    KubeconfigLimitSerializer,
    KubeconfigRequestSerializer,
    KubeconfigSerializer,
    RevocationSerializer,
)
from clusters.kubeconfigs import (
    ClusterAccessError,
    kubeconfig_issue,
    kubeconfig_limit_for_user,
    kubeconfig_tokens_revoke,
)
from tenants.api.views.base import validated


def _named_list(item: str) -> dict:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", item],
            "properties": {"name": {"type": "string"}, item: {"type": "object"}},
        },
    }


# The YAML answer is the kubeconfig file itself: a YAML client reads an object, not a string.
KUBECONFIG_DOCUMENT_SCHEMA = {
    "type": "object",
    "description": "The kubeconfig file: a cluster and user per cluster, a context per namespace.",
    "required": ["apiVersion", "kind", "clusters", "users", "contexts", "current-context"],
    "properties": {
        "apiVersion": {"type": "string", "enum": ["v1"]},
        "kind": {"type": "string", "enum": ["Config"]},
        "preferences": {"type": "object"},
        "clusters": _named_list("cluster"),
        "users": _named_list("user"),
        "contexts": _named_list("context"),
        "current-context": {"type": "string"},
    },
}


class ClusterUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A cluster could not be reached."
    default_code = "cluster_unavailable"


class KubeconfigView(generics.GenericAPIView):
    """A kubeconfig for every namespace I can see: YAML, or JSON with ``Accept: application/json``.

    GET tells the token lifetime I may ask for.
    """

    serializer_class = KubeconfigSerializer
    renderer_classes = [KubeconfigYAMLRenderer, JSONRenderer]

    @extend_schema(responses={200: KubeconfigLimitSerializer})
    def get(self, request):
        return Response(KubeconfigLimitSerializer(kubeconfig_limit_for_user(user=request.user)).data)

    @extend_schema(
        request=KubeconfigRequestSerializer,
        responses={
            (200, "application/yaml"): KUBECONFIG_DOCUMENT_SCHEMA,
            (200, "application/json"): KubeconfigSerializer,
        },
    )
    def post(self, request):
        data = validated(KubeconfigRequestSerializer, request)
        try:
            issued = kubeconfig_issue(user=request.user, hours=data.get("hours"))
        except ClusterAccessError as exc:
            raise ClusterUnavailable(str(exc)) from exc
        response = Response(KubeconfigSerializer(issued).data)
        response["Cache-Control"] = "no-store"
        return response


class KubeconfigRevokeView(generics.GenericAPIView):
    """Invalidate every kubeconfig token issued to me; 503 lists clusters that could not be reached."""

    serializer_class = RevocationSerializer

    @extend_schema(request=None, responses={200: RevocationSerializer, 503: RevocationSerializer})
    def post(self, request):
        result = kubeconfig_tokens_revoke(user=request.user)
        code = status.HTTP_503_SERVICE_UNAVAILABLE if result.failed else status.HTTP_200_OK
        return Response(RevocationSerializer(result).data, status=code)
