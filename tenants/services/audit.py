"""The audit trail. Call ``audit_record`` inside the transaction of the change it records.

Where the change came from (IP address, user agent) is taken from the current request,
which ``AuditContextMiddleware`` places in a context variable, so services need no request.
"""

from contextvars import ContextVar
from typing import Any

from django.db import models

from tenants.models import AuditEvent, Team

request_origin: ContextVar[tuple[str | None, str]] = ContextVar("request_origin", default=(None, ""))


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    team: Team | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; ``team`` defaults to the target's team when it has one."""
    if team is None:
        team = target if isinstance(target, Team) else getattr(target, "team", None)
    ip_address, user_agent = request_origin.get()
    return AuditEvent.objects.create(
        team=team,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=getattr(actor, "email", "") or "system",
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk or ""),
        target_repr=str(target)[:254],
        data=data or {},
        ip_address=ip_address,
        user_agent=user_agent[:255],
    )
