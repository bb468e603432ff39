from django.urls import path

from tenants.views import invitations, members, preferences, settings, teams, tokens

urlpatterns = [
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<slug:slug>/", teams.team_detail, name="team_detail"),
    path("teams/<slug:slug>/audit/", teams.team_audit, name="team_audit"),
    path("teams/<slug:slug>/leave/", teams.team_leave, name="team_leave"),
    path("teams/<slug:slug>/transfer/", teams.team_transfer, name="team_transfer"),
    path("teams/<slug:slug>/settings/", settings.team_settings, name="team_settings"),
    path("teams/<slug:slug>/settings/name/", settings.team_rename, name="team_rename"),
    path("teams/<slug:slug>/settings/time-zone/", settings.team_time_zone, name="team_time_zone"),
    path("teams/<slug:slug>/settings/trust/", settings.team_trust_request, name="team_trust_request"),
    path("teams/<slug:slug>/members/<int:membership_id>/role/", members.member_role, name="member_role"),
    path(
        "teams/<slug:slug>/members/<int:membership_id>/remove/", members.member_remove, name="member_remove"
    ),
    path("teams/<slug:slug>/invitations/new/", invitations.invitation_create, name="invitation_create"),
    path(
        "teams/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "teams/<slug:slug>/invitations/<int:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation_resend",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/signup/", invitations.invitation_signup, name="invitation_signup"),
    path("invitations/<str:token>/decline/", invitations.invitation_decline, name="invitation_decline"),
    path(
        "me/invitations/<int:invitation_id>/accept/",
        invitations.my_invitation_accept,
        name="my_invitation_accept",
    ),
    path(
        "me/invitations/<int:invitation_id>/decline/",
        invitations.my_invitation_decline,
        name="my_invitation_decline",
    ),
    path("settings/tokens/", tokens.token_list, name="token_list"),
    path("settings/preferences/", preferences.preferences, name="preferences"),
    path("language/", preferences.language_set, name="language_set"),
    path("settings/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
]
