"""Adding, verifying and removing a team's custom domains; each change is audited and
re-applies the team's namespaces, whose admission policy reads the allowed hosts."""

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from domains.apps_domains import apps_domains
from domains.dns import LookupFailed, txt_resolver
from domains.models import DOMAIN_NAME, Domain, RouteClaim
from domains.routes import Claim
from tenants.models import Namespace, Team
from tenants.services.audit import audit_record
from tenants.services.memberships import team_namespaces_changed
from tenants.services.provisioning_hooks import namespace_changed


def _clean_name(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    DOMAIN_NAME(name)
    for apps in apps_domains():
        if name == apps or name.endswith(f".{apps}"):
            raise ValidationError(
                {
                    "name": _(
                        "Names under %(apps)s are given by the console: every team owns <name>.<team>.%(apps)s."
                    )
                    % {"apps": apps}
                }
            )
        if apps.endswith(f".{name}"):
            # It would cover every team's subdomain of the apps domain.
            raise ValidationError(
                {
                    "name": _(
                        "%(name)s holds the apps domain %(apps)s, whose names the console gives to teams."
                    )
                    % {"name": name, "apps": apps}
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
    labels = name.split(".")
    parents = [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    nested = Q(name__in=parents) | Q(name__endswith=f".{name}")
    if Domain.objects.filter(nested).exclude(team=team).exists():
        # A domain comes with its subdomains: under or above another team's, both would own them.
        raise ValidationError(
            {
                "name": _("%(name)s overlaps a domain another team on this console has claimed.")
                % {"name": name}
            }
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


def _covering_namespaces(*, hosts: set[str], namespace: Namespace) -> list[Namespace]:
    """Live namespaces on ``namespace``'s cluster, other than it, whose team owns one of
    ``hosts`` (its apps subdomain or a verified domain above it): three indexed queries,
    however many teams the console has."""
    slugs: set[str] = set()
    suffixes: set[str] = set()
    for host in hosts:
        labels = host.removeprefix("*.").split(".")
        suffixes.update(".".join(labels[i:]) for i in range(len(labels) - 1))
        for apps in apps_domains():
            if host.endswith(f".{apps}") and len(host) > len(apps) + 1:
                slugs.add(host[: -len(apps) - 1].split(".")[-1])
    # Two lookups by unique keys rather than one OR across a join, which would scan every namespace.
    team_ids = set(
        Domain.objects.filter(name__in=suffixes, verified_at__isnull=False).values_list("team_id", flat=True)
    ) | set(Team.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    # By team only: the database would otherwise start from every namespace on the cluster.
    owners = Namespace.objects.live().filter(team_id__in=team_ids).exclude(pk=namespace.pk)
    return [other for other in owners if other.cluster_id == namespace.cluster_id]


@transaction.atomic
def route_claims_record(*, namespace: Namespace, claims: Iterable[Claim], now: datetime) -> list[Namespace]:
    """Replace what ``namespace`` serves with what the reconcile just read from its cluster.

    When a host+path appears or goes, the other namespaces owning that host get their
    desired state re-applied (their admission policy's list of taken routes changes); they
    are returned. Only those: adding a route costs the same with 10 teams or 20,000.
    """
    current = {(c.kind, c.name, c.host, c.path): c for c in RouteClaim.objects.filter(namespace=namespace)}
    wanted = {(c.kind, c.name, c.host, c.path): c for c in claims}
    gone = [current[key].pk for key in current.keys() - wanted.keys()]
    if gone:
        RouteClaim.objects.filter(pk__in=gone).delete()
    RouteClaim.objects.bulk_create(
        RouteClaim(
            namespace=namespace,
            team_id=namespace.team_id,
            kind=claim.kind,
            name=claim.name,
            host=claim.host,
            host_reversed=claim.host[::-1],
            path=claim.path,
            status=claim.status,
            seen_at=now,
        )
        for key, claim in wanted.items()
        if key not in current
    )
    for key in wanted.keys() & current.keys():
        if current[key].status != wanted[key].status:
            RouteClaim.objects.filter(pk=current[key].pk).update(status=wanted[key].status, seen_at=now)
    before = {c.key for c in current.values()}
    after = {c.key for c in wanted.values()}
    hosts = {c.host for c in current.values() if c.key not in after} | {
        c.host for c in wanted.values() if c.key not in before
    }
    if not hosts:
        return []
    others = _covering_namespaces(hosts=hosts, namespace=namespace)
    for other in others:
        namespace_changed(other)
    return others
