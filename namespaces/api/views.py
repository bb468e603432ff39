"""Namespaces and their members."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from clusters.placement import cluster_by_name
from namespaces.api.serializers import NamespaceSerializer
from namespaces.services import namespace_create, namespace_delete
from tenants import permissions, selectors
from tenants.api.serializers import (
    NamespaceCreateSerializer,
    NamespaceMemberCreateSerializer,
    NamespaceMemberSerializer,
    NamespaceRoleSerializer,
)
from tenants.api.views.base import validated
from tenants.models import Namespace, NamespaceMembership
from tenants.services.memberships import namespace_membership_remove, namespace_membership_set


class NamespaceListView(generics.ListAPIView):
    """Namespaces I can see; POST creates one in a team I manage."""

    serializer_class = NamespaceSerializer
    queryset = Namespace.objects.none()  # for the schema; the real list is scoped to the user

    @extend_schema(parameters=[OpenApiParameter("team", str, description="Only this team's (slug).")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        namespaces = selectors.namespaces_for_user(user=self.request.user).select_related(
            "cluster", "provisioning", "runtime_policy"
        )
        team = self.request.query_params.get("team")
        if team:
            namespaces = namespaces.filter(team__slug=team)
        return namespaces

    @extend_schema(request=NamespaceCreateSerializer, responses={201: NamespaceSerializer})
    def post(self, request):
        data = validated(NamespaceCreateSerializer, request)
        team = selectors.team_for_user(
            user=request.user, slug=data["team"], perm=permissions.MANAGE_NAMESPACES
        )
        cluster = cluster_by_name(team=team, name=data["cluster"]) if data["cluster"] else None
        namespace = namespace_create(
            actor=request.user,
            team=team,
            name=data["name"],
            display_name=data["display_name"],
            cluster=cluster,
        )
        body = NamespaceSerializer(namespace, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class NamespaceDetailView(generics.RetrieveAPIView):
    serializer_class = NamespaceSerializer
    queryset = Namespace.objects.none()

    def get_object(self):
        return selectors.namespace_for_user(user=self.request.user, name=self.kwargs["name"])

    @extend_schema(
        responses={202: NamespaceSerializer},
        description="Mark the namespace terminating; the workers remove it from the cluster.",
    )
    def delete(self, request, name: str):
        namespace = selectors.namespace_for_user(user=request.user, name=name)
        permissions.require_team_perm(request.user, permissions.MANAGE_NAMESPACES, namespace.team)
        namespace = namespace_delete(actor=request.user, namespace=namespace)
        body = NamespaceSerializer(namespace, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class NamespaceMemberListView(generics.ListAPIView):
    """The namespace's members; POST adds a team member (or changes their role)."""

    serializer_class = NamespaceMemberSerializer
    queryset = NamespaceMembership.objects.none()

    def get_queryset(self):
        namespace = selectors.namespace_for_user(user=self.request.user, name=self.kwargs["name"])
        return selectors.namespace_members(namespace=namespace)

    @extend_schema(request=NamespaceMemberCreateSerializer, responses={201: NamespaceMemberSerializer})
    def post(self, request, name: str):
        namespace = selectors.namespace_for_user(
            user=request.user, name=name, perm=permissions.ADMIN_NAMESPACE
        )
        data = validated(NamespaceMemberCreateSerializer, request)
        team_members = selectors.team_members(team=namespace.team)
        if "user" in data:
            team_member = team_members.filter(user_id=data["user"]).first()
            if team_member is None:
                raise ValidationError({"user": _("No member of this team has that id.")})
        else:
            team_member = team_members.filter(user__email__iexact=data["email"]).first()
            if team_member is None:
                raise ValidationError({"email": _("No member of this team has that email.")})
        membership = namespace_membership_set(
            actor=request.user, namespace=namespace, user=team_member.user, role=data["role"]
        )
        return Response(NamespaceMemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class NamespaceMemberDetailView(generics.GenericAPIView):
    serializer_class = NamespaceMemberSerializer
    queryset = NamespaceMembership.objects.none()

    def _membership(self, name: str, pk: int) -> NamespaceMembership:
        namespace = selectors.namespace_for_user(
            user=self.request.user, name=name, perm=permissions.ADMIN_NAMESPACE
        )
        return selectors.namespace_membership_for_user(namespace=namespace, membership_id=pk)

    @extend_schema(request=NamespaceRoleSerializer, responses=NamespaceMemberSerializer)
    def patch(self, request, name: str, pk: int):
        membership = self._membership(name, pk)
        data = validated(NamespaceRoleSerializer, request)
        membership = namespace_membership_set(
            actor=request.user, namespace=membership.namespace, user=membership.user, role=data["role"]
        )
        return Response(NamespaceMemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name: str, pk: int):
        namespace_membership_remove(actor=request.user, membership=self._membership(name, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
