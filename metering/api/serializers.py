from rest_framework import serializers

from core import limits
from metering.amounts import RESOURCES, format_amounts, maximum_text
from metering.models import Isolation, QuotaRequest, RuntimeClassProfile


class RuntimeClassProfileSerializer(serializers.ModelSerializer):
    isolation = serializers.CharField(read_only=True, help_text=", ".join(Isolation.values))

    class Meta:
        model = RuntimeClassProfile
        fields = [
            "name",
            "handler",
            "isolation",
            "supports_gpu",
            "gpu_note",
            "overhead_cpu",
            "overhead_memory",
            "price_multiplier",
            "enabled",
            "description",
        ]


AMOUNTS_HELP = (
    "Kubernetes notation per resource, at most: "
    + ", ".join(f"{r.key} {maximum_text(r)}" for r in RESOURCES)
    + f"; storage_classes maps up to {limits.MAX_STORAGE_CLASSES} StorageClass names to sizes."
)


class RuntimePolicySerializer(serializers.Serializer):
    min_isolation = serializers.ChoiceField(
        choices=[("", "team default"), *Isolation.choices], allow_blank=True
    )
    needs_gpu = serializers.BooleanField()


class QuotaRequestSerializer(serializers.ModelSerializer):
    namespace = serializers.CharField(source="namespace.name")
    requested_by = serializers.EmailField(source="requested_by.email", default="")
    increments = serializers.SerializerMethodField()

    class Meta:
        model = QuotaRequest
        fields = [
            "id",
            "namespace",
            "requested_by",
            "reason",
            "increments",
            "status",
            "needs_staff",
            "decided_at",
            "decision_note",
            "team_quota_raised",
            "created_at",
        ]

    def get_increments(self, obj) -> dict:
        return format_amounts(obj.amounts)


class QuotaRequestCreateSerializer(serializers.Serializer):
    namespace = serializers.CharField(max_length=63)
    reason = serializers.CharField(max_length=limits.MAX_REASON_LENGTH)
    increments = serializers.DictField(help_text=AMOUNTS_HELP)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.MAX_REASON_LENGTH
    )
