"""Teams, their members, ownership and audit trail."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from tenants import permissions, selectors
from tenants.api.serializers import (
    AuditEventSerializer,
    OwnershipTransferSerializer,
    TeamCreateSerializer,
    TeamMemberSerializer,
    TeamRoleSerializer,
    TeamSerializer,
)
from tenants.api.views.base import validated
from tenants.models import AuditEvent, Team, TeamMembership
from tenants.services.memberships import membership_remove, membership_set_role, ownership_transfer
from tenants.services.teams import team_create


class TeamListView(generics.ListAPIView):
    """The teams I belong to; POST creates a team owned by me."""

    serializer_class = TeamSerializer
    queryset = Team.objects.none()  # for the schema; the real list is scoped to the user

    def get_queryset(self):
        return selectors.teams_for_user(user=self.request.user)

    @extend_schema(request=TeamCreateSerializer, responses={201: TeamSerializer})
    def post(self, request):
        data = validated(TeamCreateSerializer, request)
        team = team_create(actor=request.user, name=data["name"], slug=data.get("slug", ""))
        permissions.forget_roles(request.user)
        team = selectors.teams_for_user(user=request.user).get(pk=team.pk)
        body = TeamSerializer(team, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class TeamDetailView(generics.RetrieveAPIView):
    serializer_class = TeamSerializer
    queryset = Team.objects.none()

    def get_object(self):
        team = selectors.team_for_user(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.teams_for_user(user=self.request.user).get(pk=team.pk)


class TeamMemberListView(generics.ListAPIView):
    serializer_class = TeamMemberSerializer
    queryset = TeamMembership.objects.none()

    def get_queryset(self):
        team = selectors.team_for_user(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.team_members(team=team)


class TeamMemberDetailView(generics.GenericAPIView):
    serializer_class = TeamMemberSerializer
    queryset = TeamMembership.objects.none()

    @extend_schema(request=TeamRoleSerializer, responses=TeamMemberSerializer)
    def patch(self, request, slug: str, pk: int):
        team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
        membership = selectors.team_membership(team=team, membership_id=pk)
        data = validated(TeamRoleSerializer, request)
        membership = membership_set_role(actor=request.user, membership=membership, role=data["role"])
        return Response(TeamMemberSerializer(membership).data)

    @extend_schema(
        responses={204: None},
        description="Remove a member. Any member may remove themselves (leave); "
        "removing others needs the manager role, removing an owner the owner role.",
    )
    def delete(self, request, slug: str, pk: int):
        team = selectors.team_for_user(user=request.user, slug=slug)
        membership = selectors.team_membership(team=team, membership_id=pk)
        # The service decides who may remove whom (anyone may leave; owners only by owners).
        membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OwnershipTransferView(generics.GenericAPIView):
    serializer_class = OwnershipTransferSerializer
    queryset = TeamMembership.objects.none()

    @extend_schema(
        request=OwnershipTransferSerializer,
        responses=TeamSerializer,
        description="Make another member owner; the calling owner becomes a manager.",
    )
    def post(self, request, slug: str):
        team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_OWNERS)
        data = validated(OwnershipTransferSerializer, request)
        new_owner = selectors.team_members(team=team).filter(pk=data["member"]).first()
        if new_owner is None:
            raise ValidationError({"member": _("No such member in this team.")})
        ownership_transfer(actor=request.user, team=team, new_owner=new_owner)
        permissions.forget_roles(request.user)
        team = selectors.teams_for_user(user=request.user).get(pk=team.pk)
        return Response(TeamSerializer(team, context=self.get_serializer_context()).data)


class AuditEventListView(generics.ListAPIView):
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str, description="Only actions starting with this, e.g. 'member.'"),
            OpenApiParameter("actor", str, description="Only actors whose email contains this."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        team = selectors.team_for_user(
            user=self.request.user, slug=self.kwargs["slug"], perm=permissions.VIEW_AUDIT
        )
        params = self.request.query_params
        return selectors.team_audit_events(
            team=team, action=params.get("action", ""), actor=params.get("actor", "")
        )
