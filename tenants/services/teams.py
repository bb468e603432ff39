"""Creating teams (including the personal team every new account gets) and their settings:
name, billing time zone, trust level and its requests, billing mode."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tenants import permissions
from tenants.models import (
    BillingMode,
    Namespace,
    Team,
    TeamMembership,
    TeamRole,
    TrustLevel,
    TrustLevelRequest,
    TrustRequestStatus,
)
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed, runtime_inputs_changed_on_commit


def unique_slug(base: str, *, taken, max_length: int = 50) -> str:
    """A DNS-1123 label from ``base`` that ``taken(slug)`` reports free, suffixed -2, -3… if needed."""
    root = slugify(re.sub(r"[._+]+", "-", base)).strip("-")[: max_length - 4].strip("-") or "team"
    candidate, n = root, 1
    while taken(candidate):
        n += 1
        candidate = f"{root}-{n}"
    return candidate


@transaction.atomic
def team_create(
    *,
    actor,
    name: str,
    slug: str = "",
    trust_level: str = TrustLevel.PUBLIC,
    is_personal: bool = False,
) -> Team:
    """Create a team owned by ``actor``."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if slug:
        if Team.objects.filter(slug=slug).exists():
            raise ValidationError(
                {"slug": _("The address '%(slug)s' is taken; choose another.") % {"slug": slug}}
            )
    else:
        slug = unique_slug(name, taken=lambda s: Team.objects.filter(slug=s).exists())
    team = Team(name=name, slug=slug, trust_level=trust_level, is_personal=is_personal)
    team.full_clean()
    team.save()
    TeamMembership.objects.create(team=team, user=actor, role=TeamRole.OWNER)
    audit_record(actor=actor, action="team.created", target=team, data={"slug": team.slug})
    return team


# --- Team settings ----------------------------------------------------------------------------
@transaction.atomic
def team_rename(*, actor, team: Team, name: str) -> Team:
    """Change the team's display name (its address, the slug, stays: links and labels use it)."""
    if not permissions.has_team_perm(actor, permissions.MANAGE_OWNERS, team):
        raise PermissionDenied(_("Only owners rename the team."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if len(name) > 100:  # Team.name max_length
        raise ValidationError({"name": _("At most 100 characters.")})
    before = team.name
    if name != before:
        Team.objects.filter(pk=team.pk).update(name=name)
        team.name = name
        audit_record(actor=actor, action="team.renamed", target=team, data={"from": before, "to": name})
    return team


@dataclass(frozen=True)
class TimeZoneEffect:
    """What moving the billing day's boundary does to the day in progress.

    The last billed day ended at midnight in the old zone; the next one will start at midnight
    in the new zone. ``hours`` > 0: that many hours between the two are billed in neither day;
    < 0: that many hours fall in both (billed twice). 0: no effect.
    """

    day: date
    old_midnight: datetime
    new_midnight: datetime

    @property
    def hours(self) -> float:
        return (self.new_midnight - self.old_midnight).total_seconds() / 3600

    @property
    def message(self) -> str:
        if self.hours > 0:
            return (
                f"The billing day of {self.day:%Y-%m-%d} will start {self.hours:g} hours later than the "
                "previous day ended: usage in those hours is billed in neither day."
            )
        if self.hours < 0:
            return (
                f"The billing day of {self.day:%Y-%m-%d} will start {-self.hours:g} hours before the "
                "previous day ended: usage in those hours is billed in both days."
            )
        return ""


def time_zone_change_effect(*, team: Team, time_zone: str, now: datetime) -> TimeZoneEffect:
    """The effect on the current billing day of moving ``team`` to ``time_zone`` at ``now`` (pure)."""
    old, new = ZoneInfo(team.time_zone), ZoneInfo(time_zone)
    day = now.astimezone(old).date()  # the day in progress: it ends at the next old midnight
    old_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=old)
    new_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=new)
    return TimeZoneEffect(day=day + timedelta(days=1), old_midnight=old_midnight, new_midnight=new_midnight)


def valid_time_zone(name: str) -> str:
    if name not in available_timezones():
        raise ValidationError(
            {"time_zone": _("'%(name)s' is not a time zone (examples: Europe/Berlin, UTC).") % {"name": name}}
        )
    return name


@transaction.atomic
def team_time_zone_set(
    *, actor, team: Team, time_zone: str, now: datetime, confirmed: bool
) -> TimeZoneEffect:
    """Move the team's billing day to ``time_zone``; when that leaves a gap or an overlap at the
    current day's boundary, only with ``confirmed`` (the page shows ``effect.message`` first)."""
    if not permissions.has_team_perm(actor, permissions.MANAGE_OWNERS, team):
        raise PermissionDenied(_("Only owners set the billing time zone."))
    time_zone = valid_time_zone(time_zone)
    effect = time_zone_change_effect(team=team, time_zone=time_zone, now=now)
    if time_zone == team.time_zone:
        return effect
    if effect.hours and not confirmed:
        raise ValidationError({"confirm": effect.message + _(" Tick the box to change it anyway.")})
    before = team.time_zone
    Team.objects.filter(pk=team.pk).update(time_zone=time_zone)
    team.time_zone = time_zone
    audit_record(
        actor=actor,
        action="team.time_zone_changed",
        target=team,
        data={"from": before, "to": time_zone, "boundary_shift_hours": effect.hours},
    )
    return effect


def _staff_field_set(*, actor, team: Team, field: str, value: str, choices, reason: str) -> bool:
    """Set one staff-only choice field of the team, audited as ``team.<field>_changed``; False if unchanged."""
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Only staff set the %(replace)s.") % {"replace": field.replace("_", " ")})
    if value not in choices:
        raise ValidationError(
            {
                field: _("Unknown %(replace)s '%(value)s'.")
                % {"replace": field.replace("_", " "), "value": value}
            }
        )
    before = getattr(team, field)
    if value == before:
        return False
    Team.objects.filter(pk=team.pk).update(**{field: value})
    setattr(team, field, value)
    data = {"from": before, "to": value, "reason": reason.strip()}
    audit_record(actor=actor, action=f"team.{field}_changed", target=team, data=data)
    return True


@transaction.atomic
def team_trust_level_set(*, actor, team: Team, trust_level: str, reason: str = "") -> Team:
    """Staff set a team's trust level; its namespaces' runtimes and quotas follow on the next apply.
    A pending trust request is approved when it asked for this level, denied otherwise."""
    changed = _staff_field_set(
        actor=actor,
        team=team,
        field="trust_level",
        value=trust_level,
        choices=TrustLevel.values,
        reason=reason,
    )
    if not changed:
        return team
    pending = TrustLevelRequest.objects.filter(team=team, status=TrustRequestStatus.PENDING)
    pending.update(
        status=Case(
            When(requested_level=trust_level, then=Value(TrustRequestStatus.APPROVED)),
            default=Value(TrustRequestStatus.DENIED),
        ),
        decided_by=actor,
        decided_at=timezone.now(),
    )
    for namespace in Namespace.objects.live().filter(team=team):
        namespace_changed(namespace)
    runtime_inputs_changed_on_commit()
    return team


@transaction.atomic
def team_billing_mode_set(*, actor, team: Team, billing_mode: str, reason: str = "") -> Team:
    """Staff switch a team between prepaid and invoiced billing (from the next bill run on)."""
    _staff_field_set(
        actor=actor,
        team=team,
        field="billing_mode",
        value=billing_mode,
        choices=BillingMode.values,
        reason=reason,
    )
    return team


@transaction.atomic
def trust_request_create(*, actor, team: Team, reason: str) -> TrustLevelRequest:
    """An owner asks staff to make the team trusted (one pending request at a time)."""
    if not permissions.has_team_perm(actor, permissions.MANAGE_OWNERS, team):
        raise PermissionDenied(_("Only owners ask for a trust level."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell staff why the team should be trusted.")})
    if team.trust_level == TrustLevel.TRUSTED:
        raise ValidationError({"reason": _("The team is trusted already.")})
    if TrustLevelRequest.objects.filter(team=team, status=TrustRequestStatus.PENDING).exists():
        raise ValidationError({"reason": _("A request is already waiting for staff.")})
    request = TrustLevelRequest.objects.create(
        team=team, requested_level=TrustLevel.TRUSTED, reason=reason, requested_by=actor
    )
    audit_record(actor=actor, action="team.trust_requested", target=team, data={"reason": reason})
    return request


@transaction.atomic
def trust_request_withdraw(*, actor, team: Team) -> None:
    if not permissions.has_team_perm(actor, permissions.MANAGE_OWNERS, team):
        raise PermissionDenied(_("Only owners withdraw the team's request."))
    withdrawn = TrustLevelRequest.objects.filter(team=team, status=TrustRequestStatus.PENDING).update(
        status=TrustRequestStatus.WITHDRAWN, decided_by=actor, decided_at=timezone.now()
    )
    if withdrawn:
        audit_record(actor=actor, action="team.trust_request_withdrawn", target=team, data={})


@transaction.atomic
def trust_request_decide(*, actor, trust_request: TrustLevelRequest, approve: bool) -> None:
    """Staff approve (the team becomes trusted) or deny a pending request."""
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Only staff decide trust requests."))
    if trust_request.status != TrustRequestStatus.PENDING:
        raise ValidationError(_("This request was already decided or withdrawn."))
    team = trust_request.team
    if approve:
        team_trust_level_set(
            actor=actor, team=team, trust_level=trust_request.requested_level, reason=trust_request.reason
        )
        return
    TrustLevelRequest.objects.filter(pk=trust_request.pk).update(
        status=TrustRequestStatus.DENIED, decided_by=actor, decided_at=timezone.now()
    )
    audit_record(
        actor=actor, action="team.trust_request_denied", target=team, data={"request": trust_request.pk}
    )
