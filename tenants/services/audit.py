"""The audit trail. Call inside the transaction of the change it records."""

from typing import Any

from django.db import models

from tenants.models import AuditEvent, Team

_request_context: dict[str, Any] = {}


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    team: Team | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AuditEvent:
    """Append one audit event; ``team`` defaults to the target's team when it has one."""
    if team is None:
        team = target if isinstance(target, Team) else getattr(target, "team", None)
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
