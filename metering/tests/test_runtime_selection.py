from decimal import Decimal

import pytest

from metering.models import RuntimeClassProfile
from metering.runtime_selection import namespace_runtime, required_isolation, select_runtime


def catalog(disabled=(), gvisor_gpu=False):
    rows = [
        ("runc", "container", True, "1.0"),
        ("gvisor", "sandbox", gvisor_gpu, "1.1"),
        ("kata-qemu", "microvm", True, "1.3"),
        ("kata-fc", "microvm", False, "1.2"),
        ("kata-clh", "microvm", True, "1.25"),
    ]
    return [
        RuntimeClassProfile(
            name=n, isolation=i, supports_gpu=g, price_multiplier=Decimal(m), enabled=n not in disabled
        )
        for n, i, g, m in rows
    ]


ALL = {"runc", "gvisor", "kata-qemu", "kata-fc", "kata-clh"}


@pytest.mark.parametrize(
    ("trust", "ns_min", "gpu", "installed", "disabled", "chosen", "allowed", "reasons"),
    [
        (
            "trusted",
            "",
            False,
            ALL,
            (),
            "runc",
            ("runc", "gvisor", "kata-fc", "kata-clh", "kata-qemu"),
            {},
        ),
        (
            "public",
            "",
            False,
            ALL,
            (),
            "gvisor",
            ("gvisor", "kata-fc", "kata-clh", "kata-qemu"),
            {"runc": "below sandbox isolation required for public teams"},
        ),
        (
            "public",
            "",
            True,
            ALL,
            (),
            "kata-clh",
            ("kata-clh", "kata-qemu"),
            {
                "runc": "below sandbox isolation required for public teams",
                "gvisor": "no GPU support",
                "kata-fc": "no GPU support",
            },
        ),
        (
            "trusted",
            "microvm",
            False,
            ALL,
            (),
            "kata-fc",
            ("kata-fc", "kata-clh", "kata-qemu"),
            {
                "runc": "below microvm isolation required by the namespace's runtime policy",
                "gvisor": "below microvm isolation required by the namespace's runtime policy",
            },
        ),
        (
            "public",
            "",
            True,
            ALL - {"kata-clh"},
            (),
            "kata-qemu",
            ("kata-qemu",),
            {"kata-clh": "not installed on cluster east"},
        ),
        (
            "public",
            "",
            False,
            ALL,
            ("gvisor",),
            "kata-fc",
            ("kata-fc", "kata-clh", "kata-qemu"),
            {"gvisor": "disabled in the catalog"},
        ),
        (
            "trusted",
            "",
            True,
            {"gvisor", "kata-fc"},
            (),
            None,
            (),
            {
                "runc": "not installed on cluster east",
                "kata-clh": "not installed on cluster east",
                "kata-qemu": "not installed on cluster east",
                "gvisor": "no GPU support",
                "kata-fc": "no GPU support",
            },
        ),
        ("trusted", "sandbox", False, None, (), "gvisor", ("gvisor", "kata-fc", "kata-clh", "kata-qemu"), {}),
    ],
)
def test_selection_table(trust, ns_min, gpu, installed, disabled, chosen, allowed, reasons, settings):
    settings.TENANTRY_MIN_ISOLATION = {"public": "sandbox", "trusted": "container"}
    isolation, source = required_isolation(namespace_min=ns_min, trust_level=trust)
    selection = select_runtime(
        required_isolation=isolation,
        requirement_source=source,
        needs_gpu=gpu,
        catalog=catalog(disabled=disabled),
        available=installed,
        cluster_name="east",
    )
    assert selection.chosen == chosen
    assert selection.allowed == allowed
    for name, reason in reasons.items():
        assert selection.reasons[name] == reason
    assert set(selection.reasons) | set(selection.allowed) == ALL


def test_refusal_names_what_an_admin_could_install():
    selection = select_runtime(
        required_isolation="microvm",
        requirement_source="required by the namespace's runtime policy",
        needs_gpu=True,
        catalog=catalog(),
        available={"runc", "kata-fc"},
        cluster_name="east",
    )
    assert not selection.ok
    assert (
        selection.refusal
        == "No runtime in the catalog offers microvm isolation with GPU support on cluster east."
    )
    assert (
        selection.install_hint
        == "An admin could install the RuntimeClass kata-clh or kata-qemu on cluster east."
    )
    assert "kata-fc: no GPU support" in [str(e) for e in selection.exclusions]


def test_refusal_suggests_enabling_a_disabled_entry():
    selection = select_runtime(
        required_isolation="microvm",
        requirement_source="x",
        needs_gpu=True,
        catalog=catalog(disabled=("kata-clh", "kata-qemu")),
        available=None,
        cluster_name="default",
    )
    assert selection.install_hint == "An admin could enable kata-clh or kata-qemu in the runtime catalog."


def test_gvisor_gpu_counts_only_when_flagged():
    selection = select_runtime(
        required_isolation="sandbox",
        requirement_source="x",
        needs_gpu=True,
        catalog=catalog(gvisor_gpu=True),
        available=None,
        cluster_name="default",
    )
    assert selection.chosen == "gvisor"


def test_ties_on_price_break_by_name():
    entries = catalog()
    entries[3].price_multiplier = Decimal("1.25")  # kata-fc now costs the same as kata-clh
    selection = select_runtime(
        required_isolation="microvm",
        requirement_source="x",
        needs_gpu=False,
        catalog=entries,
        available=None,
        cluster_name="c",
    )
    assert selection.allowed[:2] == ("kata-clh", "kata-fc")


@pytest.mark.django_db
def test_seeded_catalog_drives_namespace_runtime(world):
    assert set(RuntimeClassProfile.objects.values_list("name", flat=True)) == ALL
    world.namespace.runtime_policy.needs_gpu = True
    selection = namespace_runtime(world.namespace)
    assert selection.chosen == "runc"  # trusted team, discovery not run yet: all assumed installed
    assert not selection.availability_known
    public = namespace_runtime(world.other_namespace)
    assert public.chosen == "gvisor"


@pytest.mark.django_db
def test_provisioner_gets_allowed_classes_and_default(world):
    from metering.runtime_selection import namespace_runtime_choice

    choice = namespace_runtime_choice(world.other_namespace)
    assert choice.default == "gvisor"
    assert choice.allowed[0] == "gvisor" and "runc" not in choice.allowed


def _seeded_like(rows):
    """Catalog entries with their real handlers: runc is the nodes' default handler."""
    handlers = {"runc": "runc", "gvisor": "runsc"}
    for entry in rows:
        entry.handler = handlers.get(entry.name, entry.name)
    return rows


def test_runc_needs_no_runtime_class_on_the_cluster(settings):
    settings.TENANTRY_MIN_ISOLATION = {"public": "sandbox", "trusted": "container"}
    isolation, source = required_isolation(namespace_min="", trust_level="trusted")
    selection = select_runtime(
        required_isolation=isolation,
        requirement_source=source,
        needs_gpu=False,
        catalog=_seeded_like(catalog()),
        available={"gvisor", "kata-qemu"},  # a real cluster: no RuntimeClass for the default handler
        cluster_name="default",
    )
    assert selection.chosen == "runc"
    assert "runc" not in selection.reasons
    assert selection.node_default == ("runc",)
    assert selection.chosen_needs_no_runtime_class


def test_runc_runtime_class_present_is_used_by_name(settings):
    settings.TENANTRY_MIN_ISOLATION = {"public": "sandbox", "trusted": "container"}
    selection = select_runtime(
        required_isolation="container",
        requirement_source="required for trusted teams",
        needs_gpu=False,
        catalog=_seeded_like(catalog()),
        available={"runc", "gvisor"},
        cluster_name="default",
    )
    assert selection.chosen == "runc" and not selection.chosen_needs_no_runtime_class


@pytest.mark.django_db
def test_trusted_namespace_on_a_cluster_without_a_runc_class_runs_runc_unenforced(world):
    from django.conf import settings as django_settings
    from django.utils import timezone

    from clusters.kube.spec import platform_settings_from_django
    from clusters.provisioning import desired_objects
    from metering.models import ClusterRuntime, ClusterState
    from metering.runtime_selection import namespace_runtime_choice

    state = ClusterState.objects.create(cluster=world.namespace.cluster, discovered_at=timezone.now())
    ClusterRuntime.objects.create(state=state, name="gvisor", handler="runsc", seen_at=timezone.now())
    choice = namespace_runtime_choice(world.namespace)  # acme is trusted
    assert (choice.allowed, choice.default, choice.enforced) == ((), None, False)
    namespace_object = desired_objects(world.namespace, platform_settings_from_django(django_settings))[0]
    assert not any("runtime" in label for label in namespace_object["metadata"]["labels"])
    public = namespace_runtime_choice(world.other_namespace)
    assert public.enforced and public.default == "gvisor"


def test_isolation_ranks_weakest_first_and_refuses_what_is_no_level():
    from metering.models import Isolation

    assert [Isolation.rank(level) for level in ("container", "sandbox", "microvm")] == [0, 1, 2]
    assert Isolation.rank(Isolation.MICROVM) > Isolation.rank(Isolation.SANDBOX)
    for nothing in ("", "kata", "CONTAINER"):
        with pytest.raises(ValueError):
            Isolation.rank(nothing)
