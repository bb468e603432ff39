"""What the API shows and accepts. Output serializers read; input serializers only check shape.

Business rules stay in the services; these serializers never save anything.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import limits
from tenants import permissions
from tenants.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    NamespaceMembership,
    NamespaceRole,
    Team,
    TeamMembership,
    TeamRole,
)
from tenants.services.tokens import DEFAULT_TOKEN_DAYS

# --- Output ------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)


class MyTeamSerializer(serializers.ModelSerializer):
    """One of the current user's teams, with their role in it."""

    slug = serializers.CharField(source="team.slug")
    name = serializers.CharField(source="team.name")

    class Meta:
        model = TeamMembership
        fields = ["slug", "name", "role"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    teams = MyTeamSerializer(many=True, read_only=True)


class TeamSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text=_("The current user's role in the team."))
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "slug",
            "name",
            "plan",
            "trust_level",
            "billing_mode",
            "currency",
            "time_zone",
            "is_personal",
            "created_at",
            "role",
            "member_count",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=TeamRole.choices, allow_null=True))
    def get_role(self, team: Team) -> str | None:
        return permissions.team_role(self.context["request"].user, team)


class TeamMemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["id", "user", "role", "created_at"]


class NamespaceMemberSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = NamespaceMembership
        fields = ["id", "user", "role", "created_at"]


class InvitationSerializer(serializers.ModelSerializer):
    namespace: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )
    invited_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "team_role",
            "namespace",
            "namespace_role",
            "invited_by",
            "status",
            "created_at",
            "sent_at",
            "expires_at",
        ]


class TeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["slug", "name"]


class MyInvitationSerializer(InvitationSerializer):
    team = TeamSummarySerializer(read_only=True)

    class Meta(InvitationSerializer.Meta):
        fields = ["id", "team", *InvitationSerializer.Meta.fields[1:]]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_repr", read_only=True)
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]  # a field, not Serializer.data

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "data",
            "ip_address",
        ]


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(help_text=_("The secret. Shown only in this response."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_token(self, token: ApiToken) -> str:
        return self.context["raw_token"]


# --- Input -------------------------------------------------------------------------------


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("Derived from the name when empty.")
    )


class TeamRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=TeamRole.choices)


class OwnershipTransferSerializer(serializers.Serializer):
    member = serializers.IntegerField(
        min_value=1, max_value=limits.MAX_ID, help_text=_("Id of the team membership that becomes owner.")
    )


class NamespaceCreateSerializer(serializers.Serializer):
    team = serializers.CharField(max_length=50, help_text=_("Slug of the team that will own the namespace."))
    name = serializers.CharField(max_length=63, help_text=_("Kubernetes name (DNS-1123 label)."))
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    cluster = serializers.CharField(
        max_length=63,
        required=False,
        default="",
        allow_blank=True,
        help_text=_(
            "Name of a cluster the team may use; empty: the team's default. Fixed for the namespace's life."
        ),
    )


class NamespaceRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=NamespaceRole.choices)


class NamespaceMemberCreateSerializer(NamespaceRoleSerializer):
    user = serializers.IntegerField(
        required=False, min_value=1, max_value=limits.MAX_ID, help_text=_("User id of a team member.")
    )
    email = serializers.EmailField(required=False, help_text=_("Email of a team member (instead of user)."))

    def validate(self, attrs):
        if ("user" in attrs) == ("email" in attrs):
            raise serializers.ValidationError({"user": _("Give either user (an id) or email, not both.")})
        return attrs


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    team_role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)
    namespace = serializers.CharField(
        max_length=63, required=False, allow_blank=True, default="", help_text=_("Name of a team namespace.")
    )
    namespace_role = serializers.ChoiceField(
        choices=NamespaceRole.choices, required=False, allow_blank=True, default=""
    )


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            _(
                "Omitted: in %(DEFAULT_TOKEN_DAYS)s days. At most %(MAX_API_TOKEN_DAYS)s days from now; null: the token never expires."
            )
            % {"DEFAULT_TOKEN_DAYS": DEFAULT_TOKEN_DAYS, "MAX_API_TOKEN_DAYS": limits.MAX_API_TOKEN_DAYS}
        ),
    )

    def validate_expires_at(self, value):
        if value is None:
            return value
        now = timezone.now()
        if value <= now:
            raise serializers.ValidationError(_("Choose a time in the future."))
        if value > now + timedelta(days=limits.MAX_API_TOKEN_DAYS):
            raise serializers.ValidationError(
                _("At most %(MAX_API_TOKEN_DAYS)s days from now.")
                % {"MAX_API_TOKEN_DAYS": limits.MAX_API_TOKEN_DAYS}
            )
        return value
