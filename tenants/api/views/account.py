"""The current user: who am I, and my personal API tokens."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from tenants import selectors
from tenants.api.serializers import (
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    MeSerializer,
    NewApiTokenSerializer,
)
from tenants.api.views.base import validated
from tenants.models import ApiToken
from tenants.services.tokens import api_token_create, api_token_revoke, default_token_expiry


class MeView(generics.GenericAPIView):
    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        me = {"id": user.pk, "email": user.email, "teams": selectors.team_memberships_for_user(user=user)}
        return Response(MeSerializer(me).data)


class TokenListView(generics.ListAPIView):
    """The current user's API tokens, revoked ones included."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; the real list is the user's own

    def get_queryset(self):
        return self.request.user.api_tokens.order_by("-created_at")

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: NewApiTokenSerializer})
    def post(self, request):
        data = validated(ApiTokenCreateSerializer, request)
        expires_at = data.get("expires_at", default_token_expiry(timezone.now()))
        token, raw = api_token_create(user=request.user, name=data["name"], expires_at=expires_at)
        body = NewApiTokenSerializer(token, context={"raw_token": raw}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(generics.GenericAPIView):
    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        token = get_object_or_404(request.user.api_tokens, pk=pk)
        api_token_revoke(token=token, actor=request.user, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
