"""Invitations: a team's pending ones, and the invitee's side (mine, accept)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from tenants import permissions, selectors
from tenants.api.serializers import (
    InvitationAcceptSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MyInvitationSerializer,
    MyTeamSerializer,
)
from tenants.api.views.base import validated
from tenants.models import Invitation
from tenants.services.invitations import (
    invitation_accept,
    invitation_by_token,
    invitation_create,
    invitation_problem,
    invitation_resend,
    invitation_revoke,
)


class TeamInvitationListView(generics.ListAPIView):
    """The team's pending invitations; POST invites someone by email."""

    serializer_class = InvitationSerializer
    queryset = Invitation.objects.none()  # for the schema; the real list is the team's

    def get_queryset(self):
        team = selectors.team_for_user(
            user=self.request.user, slug=self.kwargs["slug"], perm=permissions.MANAGE_MEMBERS
        )
        return selectors.team_pending_invitations(team=team)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def post(self, request, slug: str):
        team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
        data = validated(InvitationCreateSerializer, request)
        namespace = None
        if data["namespace"]:
            namespaces = selectors.team_namespaces_for_user(user=request.user, team=team)
            namespace = namespaces.filter(name=data["namespace"]).first()
            if namespace is None:
                raise ValidationError({"namespace": _("This team has no namespace of that name.")})
        invitation = invitation_create(
            actor=request.user,
            team=team,
            email=data["email"],
            team_role=data["team_role"],
            namespace=namespace,
            namespace_role=data["namespace_role"],
            now=timezone.now(),
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class _TeamInvitationActionView(generics.GenericAPIView):
    serializer_class = InvitationSerializer
    queryset = Invitation.objects.none()

    def _invitation(self, slug: str, pk: int) -> Invitation:
        team = selectors.team_for_user(user=self.request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
        return selectors.invitation_for_team(team=team, invitation_id=pk)


class InvitationRevokeView(_TeamInvitationActionView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, slug: str, pk: int):
        invitation = invitation_revoke(actor=request.user, invitation=self._invitation(slug, pk))
        return Response(InvitationSerializer(invitation).data)


class InvitationResendView(_TeamInvitationActionView):
    @extend_schema(
        request=None,
        responses=InvitationSerializer,
        description="Email a fresh link (the old one stops working) and restart the expiry clock.",
    )
    def post(self, request, slug: str, pk: int):
        invitation = self._invitation(slug, pk)
        invitation = invitation_resend(actor=request.user, invitation=invitation, now=timezone.now())
        return Response(InvitationSerializer(invitation).data)


class MyInvitationListView(generics.ListAPIView):
    """Pending invitations addressed to any of my verified email addresses."""

    serializer_class = MyInvitationSerializer
    queryset = Invitation.objects.none()

    def get_queryset(self):
        return selectors.pending_invitations_for_user(user=self.request.user)


class InvitationAcceptView(generics.GenericAPIView):
    serializer_class = InvitationAcceptSerializer

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses=MyTeamSerializer,
        description="Join the team with the token from the invitation email. "
        "The invitation must be addressed to one of my verified email addresses.",
    )
    def post(self, request):
        data = validated(InvitationAcceptSerializer, request)
        now = timezone.now()
        invitation = invitation_by_token(raw_token=data["token"])
        problem = invitation_problem(invitation=invitation, now=now)
        if problem:
            raise ValidationError({"token": problem})
        membership = invitation_accept(user=request.user, invitation=invitation, now=now)
        return Response(MyTeamSerializer(membership).data)
