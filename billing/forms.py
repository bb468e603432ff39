from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from billing.models import PRICE_FIELDS, LedgerKind, StatementStatus
from billing.services.accounts import MANUAL_KINDS
from core import limits


def _price(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=18,
        decimal_places=6,
        required=True,
        validators=[MinValueValidator(Decimal("0"))],
    )


RUNTIME_PREFIX = "runtime__"
STORAGE_PREFIX = "storage_class__"


class PriceBookForm(forms.Form):
    """A price book version. Every price is required; 0 is a price, missing is an error.

    One multiplier field per runtime class (required) and one storage price field per known
    StorageClass (blank: the class pays the default storage price) are added from
    ``runtimes`` and ``storage_classes``.
    """

    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, initial="USD", help_text=_("ISO 4217, e.g. USD")
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        help_text=_(
            "Takes effect at 00:00 of this day in each team's time zone (a day not begun anywhere yet)."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cpu_core_hour = _price(_("CPU, per core-hour"))
    memory_gib_hour = _price(_("Memory, per GiB-hour"))
    storage_gib_hour = _price(_("Storage, per GiB-hour"))
    gpu_hour = _price(_("GPU, per GPU-hour"))
    egress_gib = _price(_("External egress, per GiB"))
    load_balancer_hour = _price(_("Load balancer, per hour"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, runtimes: Sequence[str] = (), storage_classes: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in runtimes:
            self.fields[RUNTIME_PREFIX + name] = forms.DecimalField(
                label=_("Runtime %(name)s, price multiplier") % {"name": name},
                max_digits=8,
                decimal_places=4,
                validators=[MinValueValidator(Decimal("0"))],
            )
        for name in storage_classes:
            field = _price(f"Storage class {name}, per GiB-hour")
            field.required = False
            field.help_text = "Blank: the default storage price."
            self.fields[STORAGE_PREFIX + name] = field

    def prices(self) -> dict:
        return {name: self.cleaned_data[name] for name in PRICE_FIELDS}

    def runtime_multipliers(self) -> dict[str, Decimal]:
        return {
            name.removeprefix(RUNTIME_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(RUNTIME_PREFIX)
        }

    def storage_prices(self) -> dict[str, Decimal]:
        return {
            name.removeprefix(STORAGE_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(STORAGE_PREFIX) and value is not None
        }


class LedgerEntryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in LedgerKind if k in MANUAL_KINDS]
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=18,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=limits.MAX_LEDGER_AMOUNT,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class FinanceFilterForm(forms.Form):
    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    team = forms.CharField(required=False, label=_("Team name or slug"))
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *StatementStatus.choices],
    )
