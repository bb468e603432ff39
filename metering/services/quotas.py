"""Team quotas, namespace allocations and quota requests.

The invariant: for every resource (and every storage class) the allocations of a team's
live namespaces add up to at most the team quota. Every change that could break it locks
the team's ``TeamQuota`` row first, then re-reads the allocations inside that lock.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import limits
from core.email import email_on_commit
from metering import quantities
from metering.amounts import (
    RESOURCE_BY_KEY,
    RESOURCES,
    Amounts,
    add,
    amounts_of,
    apply_amounts,
    bound_errors,
    check_bounds,
    empty_amounts,
    format_amounts,
    is_zero,
    plan_defaults,
    shortfall,
    subtract,
)
from metering.models import ClusterState, NamespaceQuota, QuotaRequest, QuotaRequestStatus, TeamQuota
from metering.selectors import team_quota_for
from tenants import permissions
from tenants.locale import recipient_locale
from tenants.models import Namespace, NamespaceStatus, Team
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed


def team_quota_ensure(*, team: Team) -> TeamQuota:
    """The team's quota row, created from its plan's defaults the first time a service needs it."""
    quota = team_quota_for(team=team)
    if quota.pk is not None:
        return quota
    with transaction.atomic():
        existing = TeamQuota.objects.filter(team=team).first()
        if existing is not None:
            return existing
        quota.save()
    return quota


def _lock_team_quota(team: Team) -> TeamQuota:
    team_quota_ensure(team=team)
    return TeamQuota.objects.select_for_update().get(team=team)


def allocated_total(*, team: Team, exclude_namespace_id: int | None = None) -> Amounts:
    """Sum of the allocations of the team's live namespaces (read inside the team lock)."""
    total = empty_amounts()
    rows = NamespaceQuota.objects.filter(namespace__team=team).exclude(
        namespace__status=NamespaceStatus.DELETED
    )
    if exclude_namespace_id is not None:
        rows = rows.exclude(namespace_id=exclude_namespace_id)
    for row in rows:
        total = add(total, amounts_of(row))
    return total


def _check_fits(*, team_quota: TeamQuota, wanted_total: Amounts) -> None:
    over = shortfall(wanted=wanted_total, available=amounts_of(team_quota))
    if is_zero(over):
        return
    errors: dict[str, str] = {}
    for resource in RESOURCES:
        if over[resource.key]:
            errors[resource.key] = _("Exceeds the team quota by %(amount)s.") % {
                "amount": quantities.format_quantity(over[resource.key], resource.kind)
            }
    for name, amount in over["storage_classes"].items():
        errors[f"storage_classes.{name}"] = _("Exceeds the team's %(name)s storage by %(amount)s.") % {
            "name": name,
            "amount": quantities.format_quantity(amount, quantities.BYTES),
        }
    raise ValidationError(errors)


def _check_storage_classes(*, team_quota: TeamQuota, amounts: Amounts) -> None:
    allowed = set(team_quota.storage_classes or {})
    for name, value in amounts["storage_classes"].items():
        if value and name not in allowed:
            raise ValidationError(
                {
                    f"storage_classes.{name}": _("Storage class '%(name)s' is not allowed for this team.")
                    % {"name": name}
                }
            )


# What a cluster's nodes offer in all, by amount key: the ClusterState field discovery fills.
CLUSTER_CAPACITY_FIELDS = {
    "cpu": "allocatable_cpu_millicores",
    "memory": "allocatable_memory_bytes",
    "gpus": "allocatable_gpus",
}


def _check_cluster_capacity(*, namespace: Namespace, amounts: Amounts) -> None:
    """A namespace lives on one cluster: it may not be given more CPU, memory or GPUs than
    that cluster's nodes offer in all (its pods could never be scheduled), nor GPUs where the
    cluster has none. Judged once discovery has counted the cluster's nodes; before that, or
    with no nodes counted (an autoscaler may add them), nothing is refused."""
    state = ClusterState.objects.filter(cluster_id=namespace.cluster_id, node_count__gt=0).first()
    if state is None:
        return
    errors = {}
    for key, field in CLUSTER_CAPACITY_FIELDS.items():
        capacity = getattr(state, field)
        if capacity is not None and amounts[key] > capacity:
            errors[key] = _("More than cluster %(cluster)s has in all (%(capacity)s).") % {
                "cluster": namespace.cluster.name,
                "capacity": quantities.format_quantity(capacity, RESOURCE_BY_KEY[key].kind),
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def namespace_quota_set(*, actor, namespace: Namespace, amounts: Amounts) -> NamespaceQuota:
    """Set a namespace's allocation; refused when the team's allocations would exceed its quota."""
    if not permissions.has_team_perm(actor, permissions.MANAGE_QUOTA, namespace.team):
        raise PermissionDenied(_("Only team owners and managers split the team quota."))
    check_bounds(amounts)
    team_quota = _lock_team_quota(namespace.team)
    _check_storage_classes(team_quota=team_quota, amounts=amounts)
    _check_cluster_capacity(namespace=namespace, amounts=amounts)
    others = allocated_total(team=namespace.team, exclude_namespace_id=namespace.pk)
    _check_fits(team_quota=team_quota, wanted_total=add(others, amounts))
    allocation, _created = NamespaceQuota.objects.get_or_create(namespace=namespace)
    before = format_amounts(amounts_of(allocation))
    apply_amounts(allocation, amounts)
    allocation.save()
    audit_record(
        actor=actor,
        action="quota.allocation_changed",
        target=namespace,
        data={"from": before, "to": format_amounts(amounts)},
    )
    namespace_changed(namespace)
    return allocation


@transaction.atomic
def namespace_quota_initialize(*, actor, namespace: Namespace) -> NamespaceQuota:
    """Give a new namespace its plan's default allocation, cut down to what the team has left.

    Part of creating the namespace, which schedules its provisioning itself.
    """
    team_quota = _lock_team_quota(namespace.team)
    existing = NamespaceQuota.objects.filter(namespace=namespace).first()
    if existing is not None:
        return existing
    _, _, default = plan_defaults(namespace.team.plan)
    remaining = subtract(amounts_of(team_quota), allocated_total(team=namespace.team))
    granted = {
        **{r.key: max(0, min(default[r.key], remaining[r.key])) for r in RESOURCES},
        "storage_classes": {},
    }
    allowed = sorted(team_quota.storage_classes or {})
    if allowed:
        first = allowed[0]
        granted["storage_classes"] = {
            first: max(0, min(granted["storage"], remaining["storage_classes"].get(first, 0)))
        }
    allocation = NamespaceQuota(namespace=namespace)
    apply_amounts(allocation, granted)
    allocation.save()
    audit_record(
        actor=actor,
        action="quota.allocation_initialized",
        target=namespace,
        data={"to": format_amounts(granted)},
    )
    return allocation


HELD_ALREADY = gettext_noop(
    "At least %(held)s: the team's namespaces already hold that much. Lower their allocations first."
)


def _check_covers_allocations(*, allocated: Amounts, amounts: Amounts) -> None:
    """Field errors for every resource (and storage class) where ``amounts`` < what is allocated."""
    over = shortfall(wanted=allocated, available=amounts)
    if is_zero(over):
        return
    errors: dict[str, str] = {
        r.key: _(HELD_ALREADY) % {"held": quantities.format_quantity(allocated[r.key], r.kind)}
        for r in RESOURCES
        if over[r.key]
    }
    if over["storage_classes"]:
        held = ", ".join(
            f"{name}={quantities.format_quantity(allocated['storage_classes'][name], quantities.BYTES)}"
            for name in sorted(over["storage_classes"])
        )
        errors["storage_classes"] = _(HELD_ALREADY) % {"held": held}
    raise ValidationError(errors)


@transaction.atomic
def team_quota_set(*, actor, team: Team, amounts: Amounts, max_namespaces: int) -> TeamQuota:
    """Staff set a team's quota; it may not drop below what is already allocated.

    The team's row is locked before the allocations are summed, so an allocation saved
    concurrently cannot slip under a lowered quota.
    """
    if not permissions.has_team_perm(actor, permissions.SET_TEAM_QUOTA, team):
        raise PermissionDenied(_("Only cluster admins change team quotas."))
    if not 0 <= max_namespaces <= limits.MAX_NAMESPACES_PER_TEAM:
        raise ValidationError(
            {
                "max_namespaces": _("From 0 to %(MAX_NAMESPACES_PER_TEAM)s.")
                % {"MAX_NAMESPACES_PER_TEAM": limits.MAX_NAMESPACES_PER_TEAM}
            }
        )
    check_bounds(amounts)
    team_quota = _lock_team_quota(team)
    _check_covers_allocations(allocated=allocated_total(team=team), amounts=amounts)
    before = format_amounts(amounts_of(team_quota))
    max_namespaces_before = team_quota.max_namespaces
    removed_classes = set(team_quota.storage_classes or {}) - set(amounts["storage_classes"])
    apply_amounts(team_quota, amounts)
    team_quota.max_namespaces = max_namespaces
    team_quota.save()
    audit_record(
        actor=actor,
        action="quota.team_changed",
        target=team,
        data={
            "from": before,
            "to": format_amounts(amounts),
            "max_namespaces_from": max_namespaces_before,
            "max_namespaces": max_namespaces,
        },
    )
    if removed_classes:
        for namespace in Namespace.objects.live().filter(team=team):
            namespace_changed(namespace)
    return team_quota


def namespace_slot_check(*, team: Team) -> None:
    """Call inside the transaction that creates a namespace: refuses past the plan's maximum."""
    team_quota = _lock_team_quota(team)
    live = Namespace.objects.live().filter(team=team).count()
    if live >= team_quota.max_namespaces:
        raise ValidationError(
            {
                "name": _("The team already has %(live)s of its %(max_namespaces)s namespaces; ask for more.")
                % {"live": live, "max_namespaces": team_quota.max_namespaces}
            }
        )


def _notify_decision(quota_request: QuotaRequest) -> None:
    """Tell whoever asked how their request was decided (after commit)."""
    requester = quota_request.requested_by
    if requester is None or not requester.email:
        return
    context = {"quota_request": quota_request, "SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME}
    with recipient_locale(requester):
        email_on_commit(
            subject=_("Quota request for %(namespace)s %(status)s")
            % {
                "namespace": quota_request.namespace.name,
                "status": quota_request.get_status_display().lower(),
            },
            body=render_to_string("metering/email/quota_decision.txt", context),
            to=[requester.email],
        )


@transaction.atomic
def quota_request_create(*, actor, namespace: Namespace, increments: Amounts, reason: str) -> QuotaRequest:
    """A team member asks for more for one of the team's namespaces; amounts are added on approval."""
    if not permissions.can_see_namespace(actor, namespace):
        raise PermissionDenied(_("You can only ask for quota for namespaces you are a member of."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what the extra quota is for.")})
    if len(reason.strip()) > limits.MAX_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": _("At most %(MAX_REASON_LENGTH)s characters.")
                % {"MAX_REASON_LENGTH": limits.MAX_REASON_LENGTH}
            }
        )
    check_bounds(increments)
    if is_zero(increments):
        raise ValidationError({"__all__": _("Ask for more of at least one resource.")})
    team_quota = _lock_team_quota(namespace.team)
    current = NamespaceQuota.objects.filter(namespace=namespace).first()
    _check_cluster_capacity(namespace=namespace, amounts=add(amounts_of(current), increments))
    remaining = subtract(amounts_of(team_quota), allocated_total(team=namespace.team))
    quota_request = QuotaRequest(
        team=namespace.team,
        namespace=namespace,
        requested_by=actor,
        reason=reason.strip(),
        needs_staff=not is_zero(shortfall(wanted=increments, available=remaining)),
    )
    apply_amounts(quota_request, increments)
    quota_request.save()
    audit_record(
        actor=actor,
        action="quota.requested",
        target=quota_request,
        team=namespace.team,
        data={
            "namespace": namespace.name,
            "increments": format_amounts(increments),
            "needs_staff": quota_request.needs_staff,
        },
    )
    return quota_request


def _check_note(note: str) -> None:
    if len(note.strip()) > limits.MAX_REASON_LENGTH:
        raise ValidationError(
            {
                "note": _("At most %(MAX_REASON_LENGTH)s characters.")
                % {"MAX_REASON_LENGTH": limits.MAX_REASON_LENGTH}
            }
        )


def _lock_pending(quota_request: QuotaRequest) -> QuotaRequest:
    locked = (
        QuotaRequest.objects.select_for_update(of=("self",))
        .select_related("namespace", "team")
        .get(pk=quota_request.pk)
    )
    if locked.status != QuotaRequestStatus.PENDING:
        raise ValidationError(
            _("This request was already %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def quota_request_approve(*, actor, quota_request: QuotaRequest, note: str = "") -> QuotaRequest:
    """Approve: the namespace allocation grows by the increments.

    When the team has no room left, only staff may approve, and the team quota is raised by
    exactly the shortfall (adding storage classes the team did not have).
    """
    team = quota_request.team
    if not permissions.has_team_perm(actor, permissions.MANAGE_QUOTA, team):
        raise PermissionDenied(_("Only team owners and managers approve quota requests."))
    _check_note(note)
    team_quota = _lock_team_quota(team)
    quota_request = _lock_pending(quota_request)
    namespace = quota_request.namespace
    if namespace.status == NamespaceStatus.DELETED:
        raise ValidationError(_("The namespace no longer exists."))
    increments = amounts_of(quota_request)
    remaining = subtract(amounts_of(team_quota), allocated_total(team=team))
    missing = shortfall(wanted=increments, available=remaining)
    raised = not is_zero(missing)
    if not permissions.may_approve_quota_request(actor, team, within_team_quota=not raised):
        raise ValidationError(
            _("This goes beyond the team's remaining quota; only a cluster admin can approve it.")
        )
    if raised:
        before = format_amounts(amounts_of(team_quota))
        raised_to = add(amounts_of(team_quota), missing)
        if bound_errors(raised_to):
            raise ValidationError(
                _("Approving this would take the team quota past the largest a team may have.")
            )
        apply_amounts(team_quota, raised_to)
        team_quota.save()
        audit_record(
            actor=actor,
            action="quota.team_raised",
            target=team,
            data={"from": before, "to": format_amounts(amounts_of(team_quota)), "request": quota_request.pk},
        )
    allocation, _created = NamespaceQuota.objects.get_or_create(namespace=namespace)
    _check_cluster_capacity(namespace=namespace, amounts=add(amounts_of(allocation), increments))
    before_allocation = format_amounts(amounts_of(allocation))
    apply_amounts(allocation, add(amounts_of(allocation), increments))
    allocation.save()
    quota_request.status = QuotaRequestStatus.APPROVED
    quota_request.decided_by = actor
    quota_request.decided_at = timezone.now()
    quota_request.decision_note = note.strip()
    quota_request.team_quota_raised = raised
    quota_request.save()
    audit_record(
        actor=actor,
        action="quota.request_approved",
        target=quota_request,
        team=team,
        data={
            "namespace": namespace.name,
            "allocation_from": before_allocation,
            "allocation_to": format_amounts(amounts_of(allocation)),
            "team_quota_raised": raised,
        },
    )
    namespace_changed(namespace)
    _notify_decision(quota_request)
    return quota_request


@transaction.atomic
def quota_request_deny(*, actor, quota_request: QuotaRequest, note: str) -> QuotaRequest:
    team = quota_request.team
    if not permissions.has_team_perm(actor, permissions.MANAGE_QUOTA, team):
        raise PermissionDenied(_("Only team owners and managers decide quota requests."))
    _check_note(note)
    quota_request = _lock_pending(quota_request)
    quota_request.status = QuotaRequestStatus.DENIED
    quota_request.decided_by = actor
    quota_request.decided_at = timezone.now()
    quota_request.decision_note = note.strip()
    quota_request.save()
    audit_record(
        actor=actor,
        action="quota.request_denied",
        target=quota_request,
        team=team,
        data={"namespace": quota_request.namespace.name, "note": quota_request.decision_note},
    )
    _notify_decision(quota_request)
    return quota_request
