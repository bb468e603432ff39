from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import Charge, LedgerEntry, Statement
from billing.money import format_amount
from billing.services.accounts import MANUAL_KINDS
from core import limits


class AmountField(serializers.DecimalField):
    """A read-only amount in its currency's minor unit (0 decimals for JPY, 3 for KWD), as a
    string; the currency is the object's ``currency``."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=18, decimal_places=3, coerce_to_string=True, read_only=True, **kwargs)

    def get_attribute(self, instance):
        return super().get_attribute(instance), instance.currency

    def to_representation(self, value):
        amount, currency = value
        return format_amount(amount, currency)


class ChargeSerializer(serializers.ModelSerializer):
    namespace = serializers.CharField(source="namespace.name")
    price_version = serializers.IntegerField(source="price_book.version")
    adjusts = serializers.CharField(source="adjusts.key", default=None, allow_null=True)
    unit = serializers.CharField(read_only=True, help_text=_("The unit of quantity and billable_quantity"))
    amount = AmountField()

    class Meta:
        model = Charge
        fields = [
            "id", "key", "kind", "adjusts", "day", "namespace", "metric", "storage_class", "runtime_class",
            "quantity", "unit", "multiplier", "billable_quantity", "unit_price", "amount", "currency", "price_version",
            "window_start", "window_end", "coverage", "provisional", "quantity_rule", "statement",
        ]  # fmt: skip


class StatementSerializer(serializers.ModelSerializer):
    lines_total = AmountField(source="line_total", default=0)

    class Meta:
        model = Statement
        fields = [
            "id",
            "month",
            "currency",
            "status",
            "period_start",
            "period_end",
            "lines_total",
            "finalized_at",
            "paid_at",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    charge_key = serializers.CharField(source="charge.key", default=None, allow_null=True)
    amount = AmountField()

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "currency", "reason", "charge_key", "created_at"]


class LedgerRecordSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in MANUAL_KINDS])
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=3, min_value=Decimal("0.001"), max_value=limits.MAX_LEDGER_AMOUNT
    )
    reason = serializers.CharField(max_length=200)


class BalanceSerializer(serializers.Serializer):
    """A team's prepaid balance and band (read-only)."""

    team = serializers.CharField()
    billing_mode = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.DecimalField(
        max_digits=18, decimal_places=3, coerce_to_string=True, help_text=_("In the currency's minor unit")
    )
    band = serializers.CharField()
    suspended_at = serializers.DateTimeField(allow_null=True)
