"""Runtime selection: which RuntimeClasses a namespace may use, which one is its default, and why.

``select_runtime`` is pure (catalog entries and the cluster's RuntimeClasses in, a
``Selection`` out); ``namespace_runtime`` loads those inputs for one namespace.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from clusters.kube.spec import RuntimeChoice
from core.compiled import ID_STAND_IN, CompiledQuery
from metering.models import (
    ClusterRuntime,
    ClusterState,
    Isolation,
    NamespaceRuntimePolicy,
    RuntimeClassProfile,
)
from metering.preloaded import UNREAD, preloaded
from tenants.models import Namespace, TrustLevel

# The levels as words inside a sentence ("below sandbox isolation"), in the page's language.
ISOLATION_WORDS: dict[str, str | Promise] = {
    Isolation.CONTAINER: pgettext_lazy("isolation level in a sentence", "container"),
    Isolation.SANDBOX: pgettext_lazy("isolation level in a sentence", "sandbox"),
    Isolation.MICROVM: pgettext_lazy("isolation level in a sentence", "microvm"),
}
TRUST_WORDS: dict[str, str | Promise] = {
    TrustLevel.PUBLIC: pgettext_lazy("trust level in a sentence", "public"),
    TrustLevel.TRUSTED: pgettext_lazy("trust level in a sentence", "trusted"),
}

# The handler every node runs when a pod names no RuntimeClass. A catalog entry with this
# handler needs no RuntimeClass: it counts as installed on every cluster, and a namespace
# whose default it is leaves runtimeClassName unset (a class of that name is used if the
# cluster has one).
NODE_DEFAULT_HANDLER = "runc"


class CatalogEntry(Protocol):
    name: str
    handler: str
    isolation: str
    supports_gpu: bool
    enabled: bool
    price_multiplier: Decimal


@dataclass(frozen=True)
class Exclusion:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class Selection:
    """The outcome: ``chosen`` is the default RuntimeClass, ``allowed`` every permitted one
    (chosen first); ``refusal`` explains an empty outcome and ``install_hint`` the remedy."""

    required_isolation: str
    needs_gpu: bool
    cluster_name: str
    chosen: str | None
    allowed: tuple[str, ...]
    exclusions: tuple[Exclusion, ...]
    refusal: str = ""
    install_hint: str = ""
    availability_known: bool = True
    reasons: dict[str, str] = field(default_factory=dict)
    # Allowed entries that run as the node's default handler, with no RuntimeClass on the cluster.
    node_default: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.chosen is not None

    @property
    def chosen_needs_no_runtime_class(self) -> bool:
        return self.chosen is not None and self.chosen in self.node_default

    @property
    def required_isolation_label(self) -> str:
        return str(Isolation(self.required_isolation).label)


def trust_default_isolation(trust_level: str) -> str:
    return settings.TENANTRY_MIN_ISOLATION.get(trust_level, Isolation.MICROVM)


def required_isolation(*, namespace_min: str, trust_level: str) -> tuple[str, str]:
    """The stricter of the namespace policy and the trust-level default, and who asked for it."""
    team_default = trust_default_isolation(trust_level)
    if namespace_min and Isolation.rank(namespace_min) > Isolation.rank(team_default):
        return namespace_min, _("required by the namespace's runtime policy")
    return team_default, _("required for %(trust)s teams") % {
        "trust": TRUST_WORDS.get(trust_level, trust_level)
    }


def select_runtime(
    *,
    required_isolation: str,
    requirement_source: str,
    needs_gpu: bool,
    catalog: Iterable[CatalogEntry],
    available: set[str] | None,
    cluster_name: str,
) -> Selection:
    """Pick the cheapest runtime (price multiplier, then name) meeting isolation and GPU needs.

    ``available`` is the set of RuntimeClass names discovered on the cluster, or None when
    discovery has not run yet (then every catalog entry counts as installed). An entry whose
    handler is the node default (runc) is installed everywhere, RuntimeClass or not.
    """
    entries: Sequence[CatalogEntry] = sorted(catalog, key=lambda e: (e.price_multiplier, e.name))
    needed_rank = Isolation.rank(required_isolation)
    isolation_label = str(ISOLATION_WORDS.get(required_isolation, required_isolation))
    fits: list[str] = []
    node_default: list[str] = []
    exclusions: list[Exclusion] = []
    installable: list[str] = []
    enableable: list[str] = []
    for entry in entries:
        meets_needs = Isolation.rank(entry.isolation) >= needed_rank and (entry.supports_gpu or not needs_gpu)
        if not entry.enabled:
            reason = _("disabled in the catalog")
            if meets_needs:
                enableable.append(entry.name)
        elif Isolation.rank(entry.isolation) < needed_rank:
            reason = _("below %(isolation)s isolation %(source)s") % {
                "isolation": isolation_label,
                "source": requirement_source,
            }
        elif needs_gpu and not entry.supports_gpu:
            reason = "no GPU support"
        elif available is not None and entry.name not in available and entry.handler != NODE_DEFAULT_HANDLER:
            reason = f"not installed on cluster {cluster_name}"
            installable.append(entry.name)
        else:
            fits.append(entry.name)
            if available is not None and entry.name not in available:
                node_default.append(entry.name)
            continue
        exclusions.append(Exclusion(entry.name, reason))
    refusal = hint = ""
    if not fits:
        wanted = (
            _("%(isolation)s isolation with GPU support") if needs_gpu else _("%(isolation)s isolation")
        ) % {"isolation": isolation_label}
        refusal = _("No runtime in the catalog offers %(wanted)s on cluster %(cluster)s.") % {
            "wanted": wanted,
            "cluster": cluster_name,
        }
        if installable:
            hint = _("An admin could install the RuntimeClass %(names)s on cluster %(cluster)s.") % {
                "names": _or(installable),
                "cluster": cluster_name,
            }
        elif enableable:
            hint = _("An admin could enable %(names)s in the runtime catalog.") % {"names": _or(enableable)}
        else:
            hint = _(
                "An admin could add a catalog entry with %(wanted)s and install it on cluster %(cluster)s."
            ) % {
                "wanted": wanted,
                "cluster": cluster_name,
            }
    return Selection(
        required_isolation=required_isolation,
        needs_gpu=needs_gpu,
        cluster_name=cluster_name,
        chosen=fits[0] if fits else None,
        allowed=tuple(fits),
        exclusions=tuple(exclusions),
        refusal=refusal,
        install_hint=hint,
        availability_known=available is not None,
        reasons={e.name: e.reason for e in exclusions},
        node_default=tuple(node_default),
    )


def _or(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def runtime_policy_of(namespace: Namespace) -> NamespaceRuntimePolicy:
    """What the namespace's admins asked for; the defaults (no minimum, no GPUs) if nothing."""
    try:
        return namespace.runtime_policy
    except NamespaceRuntimePolicy.DoesNotExist:
        return NamespaceRuntimePolicy(namespace_id=namespace.pk)


def namespace_min_isolation(namespace: Namespace) -> str:
    """The provisioner's ``min_isolation`` spec input (registered in ``MeteringConfig.ready``)."""
    return runtime_policy_of(namespace).min_isolation


def namespace_needs_gpu(namespace: Namespace) -> bool:
    """The provisioner's ``needs_gpu`` spec input (registered in ``MeteringConfig.ready``)."""
    return runtime_policy_of(namespace).needs_gpu


# The catalog, and the catalog with whether a cluster's discovery found each entry (by the
# cluster's metering state): compiled once per process (``core.compiled``), 0.1 ms of Python
# saved on every namespace page.
_CATALOG = CompiledQuery(lambda: RuntimeClassProfile.objects.all())
_CATALOG_WITH_INSTALLED = CompiledQuery(
    lambda state_id: RuntimeClassProfile.objects.annotate(
        installed=Exists(ClusterRuntime.objects.filter(state_id=state_id, name=OuterRef("name")))
    ),
    ID_STAND_IN,
)


def namespace_runtime(
    namespace: Namespace, *, min_isolation: str | None = None, needs_gpu: bool | None = None
) -> Selection:
    """The selection for a namespace as stored, or for a proposed policy when arguments are given.

    The provisioner uses ``allowed`` for the admission policy and ``chosen`` as the default.
    """
    policy = runtime_policy_of(namespace)
    isolation, source = required_isolation(
        namespace_min=policy.min_isolation if min_isolation is None else min_isolation,
        trust_level=namespace.team.trust_level,
    )
    state = preloaded(namespace.cluster, "metering_state")
    if state is UNREAD:
        state = ClusterState.objects.filter(cluster_id=namespace.cluster_id).first()
    discovered = state is not None and state.discovered_at is not None
    # each entry says whether discovery found it, in the catalog's query
    catalog = _CATALOG_WITH_INSTALLED.all(state.pk) if discovered else _CATALOG.all()
    # Only catalog entries are looked up in ``available``: the installed ones stand for it.
    available = {entry.name for entry in catalog if entry.installed} if discovered else None  # type: ignore[attr-defined]
    return select_runtime(
        required_isolation=isolation,
        requirement_source=source,
        needs_gpu=policy.needs_gpu if needs_gpu is None else needs_gpu,
        catalog=catalog,
        available=available,
        cluster_name=namespace.cluster.name,
    )


def namespace_runtime_choice(namespace: Namespace) -> RuntimeChoice:
    """The provisioner's entry point: ``RuntimeChoice(allowed, default)`` for the spec builder.

    A refusal yields an empty allowed list, so the admission policy fails closed. When the
    default is the node's own handler (no RuntimeClass to name), the namespace needs only
    container isolation and pods keep the cluster default: the policy is not enforced.
    """
    selection = namespace_runtime(namespace)
    if selection.chosen_needs_no_runtime_class:
        return RuntimeChoice(allowed=(), default=None, enforced=False)
    return RuntimeChoice(allowed=selection.allowed, default=selection.chosen)
