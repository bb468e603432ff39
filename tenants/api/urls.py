"""Routes under /api/v1/."""

from django.urls import path

from tenants.api.views import account, invitations, teams

urlpatterns = [
    path("me/", account.MeView.as_view(), name="api-me"),
    path("tokens/", account.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", account.TokenDetailView.as_view(), name="api-token"),
    path("teams/", teams.TeamListView.as_view(), name="api-teams"),
    path("teams/<slug:slug>/", teams.TeamDetailView.as_view(), name="api-team"),
    path("teams/<slug:slug>/members/", teams.TeamMemberListView.as_view(), name="api-team-members"),
    path(
        "teams/<slug:slug>/members/<int:pk>/",
        teams.TeamMemberDetailView.as_view(),
        name="api-team-member",
    ),
    path(
        "teams/<slug:slug>/transfer-ownership/",
        teams.OwnershipTransferView.as_view(),
        name="api-team-transfer-ownership",
    ),
    path("teams/<slug:slug>/audit-events/", teams.AuditEventListView.as_view(), name="api-team-audit"),
    path(
        "teams/<slug:slug>/invitations/",
        invitations.TeamInvitationListView.as_view(),
        name="api-team-invitations",
    ),
    path(
        "teams/<slug:slug>/invitations/<int:pk>/revoke/",
        invitations.InvitationRevokeView.as_view(),
        name="api-invitation-revoke",
    ),
    path(
        "teams/<slug:slug>/invitations/<int:pk>/resend/",
        invitations.InvitationResendView.as_view(),
        name="api-invitation-resend",
    ),
    path("invitations/mine/", invitations.MyInvitationListView.as_view(), name="api-my-invitations"),
    path("invitations/accept/", invitations.InvitationAcceptView.as_view(), name="api-invitation-accept"),
]
