from django.conf import settings
from rest_framework import serializers


class KubeconfigRequestSerializer(serializers.Serializer):
    hours = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Token lifetime; the default and the maximum come from settings.",
    )

    def validate_hours(self, hours: int) -> int:
        maximum = settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS
        if hours > maximum:
            raise serializers.ValidationError(f"At most {maximum} hours.")
        return hours


class KubeconfigSerializer(serializers.Serializer):
    kubeconfig = serializers.CharField(source="text", help_text="The kubeconfig as YAML.")
    expires_at = serializers.DateTimeField(help_text="When its tokens stop working.")
    namespaces = serializers.ListField(child=serializers.CharField(), help_text="One context each.")


class RevocationSerializer(serializers.Serializer):
    revoked = serializers.ListField(
        child=serializers.CharField(), help_text="Clusters where tokens are revoked."
    )
    failed = serializers.DictField(
        child=serializers.CharField(), help_text="Clusters that could not be reached, with the error."
    )
