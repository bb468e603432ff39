"""Price book versions: created by staff, read-only once in effect or used by a charge.

A version holds everything that shapes a price: the unit prices, a storage price per
StorageClass (classes it does not list pay the default storage price) and the runtime
classes' price multipliers (taken from the runtime catalog when not given, so editing the
catalog later changes no version).
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import PRICE_FIELDS, PriceBook, PriceBookRuntime, PriceBookStorageClass
from billing.money import validate_currency
from billing.periods import local_midnight_utc
from metering.models import RuntimeClassProfile
from tenants.services.audit import audit_record

SIX_DP = Decimal("0.000001")
FOUR_DP = Decimal("0.0001")


def _decimal(raw, places: Decimal) -> tuple[Decimal | None, str]:
    """``raw`` as a non-negative Decimal with at most ``places``, or an error message."""
    if raw is None or raw == "":
        return None, "Set a value (0 is allowed, missing is not)."
    if isinstance(raw, float):
        return None, "Prices are decimals, not floats."
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None, "Not a number."
    if not value.is_finite() or value < 0:
        return None, "A price cannot be negative."
    if value != value.quantize(places):
        return None, f"At most {len(str(places)) - 2} decimal places."
    return value, ""


def clean_named(values: dict, *, field: str, places: Decimal, max_name: int) -> dict[str, Decimal]:
    """Storage class prices or runtime multipliers by name, each a valid non-negative Decimal."""
    errors: list[str] = []
    cleaned: dict[str, Decimal] = {}
    for name, raw in values.items():
        value, error = _decimal(raw, places)
        if not isinstance(name, str) or not name or len(name) > max_name:
            errors.append(f"{name!r} is not a valid name.")
        elif error:
            errors.append(f"{name}: {error}")
        else:
            cleaned[name] = value  # type: ignore[assignment]  # set when there is no error
    if errors:
        raise ValidationError({field: errors})
    return cleaned


def catalog_multipliers() -> dict[str, Decimal]:
    """The runtime catalog's multipliers now: what a new version offers by default."""
    return dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))


def _rates_set(
    book: PriceBook, *, multipliers: dict[str, Decimal], storage_prices: dict[str, Decimal]
) -> None:
    book.runtimes.all().delete()
    book.storage_classes.all().delete()
    PriceBookRuntime.objects.bulk_create(
        PriceBookRuntime(price_book=book, runtime_class=name, multiplier=value)
        for name, value in sorted(multipliers.items())
    )
    PriceBookStorageClass.objects.bulk_create(
        PriceBookStorageClass(price_book=book, storage_class=name, storage_gib_hour=value)
        for name, value in sorted(storage_prices.items())
    )


def _rates_clean(runtime_multipliers: dict | None, storage_prices: dict | None) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    multipliers: dict[str, Decimal] = {}
    storage: dict[str, Decimal] = {}
    try:
        multipliers = clean_named(
            catalog_multipliers() if runtime_multipliers is None else runtime_multipliers,
            field="runtime_multipliers",
            places=FOUR_DP,
            max_name=63,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        storage = clean_named(storage_prices or {}, field="storage_prices", places=SIX_DP, max_name=253)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return multipliers, storage


def clean_prices(prices: dict) -> dict[str, Decimal]:
    """Every unit price present, a Decimal, finite, >= 0 and at most 6 decimal places.

    A missing price is an error, never a zero or a "not set" marker."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Decimal] = {}
    for name in PRICE_FIELDS:
        value, error = _decimal(prices.get(name), SIX_DP)
        if value is None:
            errors[name] = error.replace("Set a value", "Set a price")
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


# The first time zone where a calendar day begins (UTC+14): once a day has begun there, some
# team may already have usage priced by a version taking effect that day.
EARLIEST_ZONE = "Pacific/Kiritimati"


def begun_anywhere(day: date, now: datetime) -> bool:
    """Whether ``day`` has begun in some time zone at ``now``."""
    return local_midnight_utc(day, EARLIEST_ZONE) <= now


def effective_day(value: date | datetime, now: datetime) -> date:
    """A version's first day: a calendar day that has not begun anywhere yet."""
    if isinstance(value, datetime):
        raise ValidationError({"effective_from": _("Give a date: a version takes effect at local midnight.")})
    if begun_anywhere(value, now):
        raise ValidationError(
            {
                "effective_from": _(
                    "A version must take effect in the future: on a day not begun anywhere yet."
                )
            }
        )
    return value


def pricebook_rates_set(
    *, pricebook: PriceBook, runtime_multipliers: dict | None = None, storage_prices: dict | None = None
) -> None:
    """Give a version written without the service (the demo's first one) its multipliers (the
    catalog's when None) and storage class prices."""
    multipliers, storage = _rates_clean(runtime_multipliers, storage_prices)
    _rates_set(pricebook, multipliers=multipliers, storage_prices=storage)


def pricebook_is_locked(pricebook: PriceBook, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return begun_anywhere(pricebook.effective_from, now) or pricebook.charges.exists()


@transaction.atomic
def pricebook_create(
    *,
    actor,
    currency: str,
    effective_from: date | datetime,
    prices: dict,
    runtime_multipliers: dict | None = None,
    storage_prices: dict | None = None,
    note: str = "",
    now=None,
) -> PriceBook:
    """A new version for ``currency``, in effect from 00:00 of a future day in each team's time
    zone, with its storage prices per class and runtime multipliers (the catalog's when None)."""
    now = now or timezone.now()
    try:
        validate_currency(currency)
    except ValueError as exc:
        raise ValidationError({"currency": str(exc)}) from exc
    cleaned = clean_prices(prices)
    multipliers, storage = _rates_clean(runtime_multipliers, storage_prices)
    start = effective_day(effective_from, now)
    if PriceBook.objects.filter(currency=currency, effective_from=start).exists():
        raise ValidationError({"effective_from": _("A version already takes effect on that day.")})
    # Serialize version numbering per currency.
    list(PriceBook.objects.select_for_update().filter(currency=currency).values_list("pk", flat=True))
    version = (PriceBook.objects.filter(currency=currency).aggregate(v=Max("version"))["v"] or 0) + 1
    book = PriceBook.objects.create(
        currency=currency, version=version, effective_from=start, note=note, created_by=actor, **cleaned
    )
    _rates_set(book, multipliers=multipliers, storage_prices=storage)
    audit_record(
        actor=actor,
        action="billing.pricebook.created",
        target=book,
        data={"effective_from": start.isoformat(), **_audit_data(cleaned, multipliers, storage)},
    )
    return book


def _audit_data(prices: dict, multipliers: dict, storage: dict) -> dict:
    return {
        **{k: str(v) for k, v in prices.items()},
        "runtime_multipliers": {k: str(v) for k, v in multipliers.items()},
        "storage_prices": {k: str(v) for k, v in storage.items()},
    }


@transaction.atomic
def pricebook_update(
    *,
    actor,
    pricebook: PriceBook,
    prices: dict,
    runtime_multipliers: dict | None = None,
    storage_prices: dict | None = None,
    effective_from=None,
    note: str | None = None,
    now=None,
) -> PriceBook:
    """Change a version that has not taken effect and priced nothing yet (its multipliers and
    class prices stay as they are when not given)."""
    now = now or timezone.now()
    pricebook = PriceBook.objects.select_for_update().get(pk=pricebook.pk)
    if pricebook_is_locked(pricebook, now=now):
        raise ValidationError(_("This version is in effect or was used by charges; create a new version."))
    cleaned = clean_prices(prices)
    if runtime_multipliers is None:
        runtime_multipliers = dict(pricebook.runtimes.values_list("runtime_class", "multiplier"))
    if storage_prices is None:
        storage_prices = dict(pricebook.storage_classes.values_list("storage_class", "storage_gib_hour"))
    multipliers, storage = _rates_clean(runtime_multipliers, storage_prices)
    if effective_from is not None:
        pricebook.effective_from = effective_day(effective_from, now)
    for name, value in cleaned.items():
        setattr(pricebook, name, value)
    if note is not None:
        pricebook.note = note
    pricebook.save()
    _rates_set(pricebook, multipliers=multipliers, storage_prices=storage)
    audit_record(
        actor=actor,
        action="billing.pricebook.updated",
        target=pricebook,
        data=_audit_data(cleaned, multipliers, storage),
    )
    return pricebook
