"""Personal API tokens: shown once, stored as SHA-256."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import limits
from tenants.models import ApiToken
from tenants.services.audit import audit_record

TOKEN_PREFIX = "tnt_"  # noqa: S105 - a public marker, not a secret
# A token nobody remembers should not work forever; "never" has to be asked for.
DEFAULT_TOKEN_DAYS = 90


def default_token_expiry(now: datetime) -> datetime:
    return now + timedelta(days=DEFAULT_TOKEN_DAYS)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with the raw secret, which is never stored."""
    if expires_at is not None:
        now = timezone.now()
        if expires_at <= now:
            raise ValidationError({"expires_at": _("Choose a time in the future.")})
        if expires_at > now + timedelta(days=limits.MAX_API_TOKEN_DAYS):
            raise ValidationError(
                {
                    "expires_at": _("At most %(MAX_API_TOKEN_DAYS)s days from now.")
                    % {"MAX_API_TOKEN_DAYS": limits.MAX_API_TOKEN_DAYS}
                }
            )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    audit_record(actor=user, action="api_token.created", target=token, data={"name": token.name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoked", target=token, data={"name": token.name})


def api_token_authenticate(*, raw: str, now: datetime) -> ApiToken | None:
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # One write per minute at most, so authenticated API traffic does not write every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
