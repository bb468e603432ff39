"""Adding, verifying and removing a team's custom domains; each change is audited and
re-applies the team's namespaces, whose admission policy reads the allowed hosts."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from domains.dns import LookupFailed, txt_resolver
from domains.models import DOMAIN_NAME, Domain
from tenants.models import Team
from tenants.services.audit import audit_record
from tenants.services.memberships import team_namespaces_changed


def _clean_name(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    DOMAIN_NAME(name)
    apps = settings.TENANTRY_APPS_DOMAIN
    if name == apps or name.endswith(f".{apps}"):
        raise ValidationError(
            {
                "name": _(
                    "Names under %(apps)s are given by the console: every team owns <name>.<team>.%(apps)s."
                )
                % {"apps": apps}
            }
        )
    return name


@transaction.atomic
def domain_add(*, actor, team: Team, name: str) -> Domain:
    try:
        name = _clean_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if Domain.objects.filter(name=name).exists():
        raise ValidationError(
            {"name": _("%(name)s is already claimed by a team on this console.") % {"name": name}}
        )
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                team=team, name=name, challenge=secrets.token_urlsafe(24), created_by=actor
            )
    except IntegrityError:  # claimed by another request in between
        raise ValidationError(
            {"name": _("%(name)s is already claimed by a team on this console.") % {"name": name}}
        ) from None
    audit_record(actor=actor, action="domain.added", target=team, team=team, data={"domain": name})
    return domain


def domain_verify(*, actor, domain: Domain) -> bool:
    """Look for the challenge at ``_tenantry-challenge.<name>``; True once verified."""
    if domain.verified_at is not None:
        return True
    try:
        records = txt_resolver()(domain.record_name)
    except LookupFailed as exc:
        Domain.objects.filter(pk=domain.pk).update(last_check_error=f"DNS did not answer: {exc}"[:300])
        return False
    if domain.challenge not in records:
        error = f"No TXT record {domain.record_name} with the expected value was found."
        Domain.objects.filter(pk=domain.pk).update(last_check_error=error)
        domain.last_check_error = error
        return False
    with transaction.atomic():
        domain.verified_at, domain.last_check_error = timezone.now(), ""
        domain.save(update_fields=["verified_at", "last_check_error"])
        audit_record(
            actor=actor,
            action="domain.verified",
            target=domain.team,
            team=domain.team,
            data={"domain": domain.name},
        )
        team_namespaces_changed(domain.team)
    return True


@transaction.atomic
def domain_remove(*, actor, domain: Domain) -> None:
    team, name, was_verified = domain.team, domain.name, domain.verified_at is not None
    domain.delete()
    audit_record(actor=actor, action="domain.removed", target=team, team=team, data={"domain": name})
    if was_verified:
        team_namespaces_changed(team)
