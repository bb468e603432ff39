"""Price book versions: created by staff, read-only once in effect or used by a charge."""

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from billing.models import PRICE_FIELDS, PriceBook
from billing.money import validate_currency
from tenants.services.audit import audit_record

SIX_DP = Decimal("0.000001")


def clean_prices(prices: dict) -> dict[str, Decimal]:
    """Every unit price present, a Decimal, finite, >= 0 and at most 6 decimal places.

    A missing price is an error, never a zero or a "not set" marker."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Decimal] = {}
    for name in PRICE_FIELDS:
        raw = prices.get(name)
        if raw is None or raw == "":
            errors[name] = "Set a price (0 is allowed, missing is not)."
            continue
        if isinstance(raw, float):
            errors[name] = "Prices are decimals, not floats."
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            errors[name] = "Not a number."
            continue
        if not value.is_finite() or value < 0:
            errors[name] = "A price cannot be negative."
        elif value != value.quantize(SIX_DP):
            errors[name] = "At most 6 decimal places."
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def effective_instant(value: date | datetime) -> datetime:
    """A date means that day's 00:00 UTC; a datetime must be aware."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValidationError({"effective_from": "Give a time zone (UTC) with the time."})
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=UTC)


def pricebook_is_locked(pricebook: PriceBook, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return pricebook.effective_from <= now or pricebook.charges.exists()


@transaction.atomic
def pricebook_create(
    *, actor, currency: str, effective_from: date | datetime, prices: dict, note: str = "", now=None
) -> PriceBook:
    """A new version for ``currency``, in effect from a future instant (UTC)."""
    now = now or timezone.now()
    try:
        validate_currency(currency)
    except ValueError as exc:
        raise ValidationError({"currency": str(exc)}) from exc
    cleaned = clean_prices(prices)
    start = effective_instant(effective_from)
    if start <= now:
        raise ValidationError({"effective_from": "A new version must take effect in the future."})
    if PriceBook.objects.filter(currency=currency, effective_from=start).exists():
        raise ValidationError({"effective_from": "A version already takes effect at that instant."})
    # Serialize version numbering per currency.
    list(PriceBook.objects.select_for_update().filter(currency=currency).values_list("pk", flat=True))
    version = (PriceBook.objects.filter(currency=currency).aggregate(v=Max("version"))["v"] or 0) + 1
    book = PriceBook.objects.create(
        currency=currency, version=version, effective_from=start, note=note, created_by=actor, **cleaned
    )
    audit_record(
        actor=actor,
        action="billing.pricebook.created",
        target=book,
        data={"effective_from": start.isoformat(), **{k: str(v) for k, v in cleaned.items()}},
    )
    return book


@transaction.atomic
def pricebook_update(
    *, actor, pricebook: PriceBook, prices: dict, effective_from=None, note: str | None = None, now=None
) -> PriceBook:
    """Change a version that has not taken effect and priced nothing yet."""
    now = now or timezone.now()
    pricebook = PriceBook.objects.select_for_update().get(pk=pricebook.pk)
    if pricebook_is_locked(pricebook, now=now):
        raise ValidationError("This version is in effect or was used by charges; create a new version.")
    cleaned = clean_prices(prices)
    if effective_from is not None:
        start = effective_instant(effective_from)
        if start <= now:
            raise ValidationError({"effective_from": "A version must take effect in the future."})
        pricebook.effective_from = start
    for name, value in cleaned.items():
        setattr(pricebook, name, value)
    if note is not None:
        pricebook.note = note
    pricebook.save()
    audit_record(
        actor=actor,
        action="billing.pricebook.updated",
        target=pricebook,
        data={k: str(v) for k, v in cleaned.items()},
    )
    return pricebook
