"""What the namespace API shows: the record, how its provisioning went, and the caller's role."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metering.models import Isolation
from tenants import permissions
from tenants.models import Namespace, NamespaceRole


class NamespaceSerializer(serializers.ModelSerializer):
    team: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    cluster: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name", read_only=True, help_text=_("The cluster it lives on, for its whole life.")
    )
    last_error = serializers.CharField(source="provisioning.last_error", read_only=True)
    conditions = serializers.JSONField(source="provisioning.conditions", read_only=True)
    last_reconciled_at = serializers.DateTimeField(
        source="provisioning.last_reconciled_at", read_only=True, allow_null=True
    )
    min_isolation = serializers.ChoiceField(
        source="runtime_policy.min_isolation", choices=Isolation.choices, allow_blank=True, read_only=True
    )
    needs_gpu = serializers.BooleanField(source="runtime_policy.needs_gpu", read_only=True)
    role = serializers.SerializerMethodField(
        help_text=_("The current user's effective role in the namespace.")
    )

    class Meta:
        model = Namespace
        fields = [
            "name",
            "display_name",
            "team",
            "cluster",
            "status",
            "last_error",
            "conditions",
            "min_isolation",
            "needs_gpu",
            "created_at",
            "last_reconciled_at",
            "role",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=NamespaceRole.choices, allow_null=True))
    def get_role(self, namespace: Namespace) -> str | None:
        return permissions.namespace_role(self.context["request"].user, namespace)
