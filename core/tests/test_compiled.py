"""``CompiledQuery`` gives what its queryset gives, every time read anew from the database, on
SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.db.models import Count, Exists, F, OuterRef
from django.test.utils import CaptureQueriesContext

from clusters.models import NamespaceProvisioning
from core.compiled import CompiledPages, CompiledQuery, converted_rows
from core.pages import paginate
from domains.models import RouteClaim
from metering.models import ClusterRuntime, ClusterState, NamespaceQuota, RuntimeClassProfile
from tenants.models import Namespace, NamespaceStatus
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

RELATED = ("team", "cluster", "provisioning", "quota", "cluster__metering_state")


def build(name: str):
    return Namespace.objects.live().select_related(*RELATED).filter(name=name)


def state(obj, seen=()) -> dict | str:
    """A model instance's loaded columns and, recursively, its related rows (None when absent;
    a row met again on the way down, such as the namespace a reverse one-to-one points back to,
    by its model and key)."""
    if any(obj is other for other in seen):
        return f"{type(obj).__name__} {obj.pk}"
    columns = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    related = {
        name: state(rel, (*seen, obj)) if rel is not None else None
        for name, rel in obj._state.fields_cache.items()
    }
    return {"model": type(obj).__name__, "columns": columns, "related": related}


@pytest.fixture
def namespaces(db):
    with_rows = NamespaceFactory(name="with-rows", display_name="<b>shown</b>")
    NamespaceProvisioning.objects.update_or_create(
        namespace=with_rows,
        defaults={
            "last_reconciled_at": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
            "conditions": [{"type": "X"}],
        },
    )
    NamespaceQuota.objects.update_or_create(namespace=with_rows, defaults={})
    without = NamespaceFactory(name="without-rows")
    NamespaceProvisioning.objects.filter(namespace=without).delete()
    NamespaceQuota.objects.filter(namespace=without).delete()
    NamespaceFactory(name="gone", status=NamespaceStatus.DELETED)
    return with_rows, without


@pytest.mark.parametrize("name", ["with-rows", "without-rows", "gone", "nobody", "with-rows' OR '1'='1"])
def test_the_compiled_query_gives_what_the_queryset_gives(namespaces, name):
    lookup = CompiledQuery(build, "stand-in-name")
    expected = [state(obj) for obj in build(name)]
    with CaptureQueriesContext(connection) as queries:
        found = lookup.all(name)
    assert [state(obj) for obj in found] == expected
    assert len(queries) == 1
    if found:  # the related rows are loaded: reading them asks nothing more
        with CaptureQueriesContext(connection) as queries:
            _ = (found[0].team.name, found[0].cluster.name)
            _ = found[0].provisioning.conditions if name == "with-rows" else None
        assert len(queries) == 0


def test_the_rows_are_read_anew_on_every_call(namespaces):
    lookup = CompiledQuery(build, "stand-in-name")
    assert lookup.all("with-rows")[0].display_name == "<b>shown</b>"
    Namespace.objects.filter(name="with-rows").update(display_name="changed", status=NamespaceStatus.ERROR)
    again = lookup.all("with-rows")
    assert (again[0].display_name, again[0].status) == ("changed", NamespaceStatus.ERROR)
    Namespace.objects.filter(name="with-rows").update(status=NamespaceStatus.DELETED)
    assert lookup.all("with-rows") == []


def test_a_stand_in_that_is_not_one_parameter_is_refused(db):
    with pytest.raises(TypeError, match="not exactly one parameter"):  # not used
        CompiledQuery(lambda name: Namespace.objects.filter(name="fixed"), "stand-in-name").all("x")
    with pytest.raises(TypeError, match="not exactly one parameter"):  # used twice
        CompiledQuery(lambda name: Namespace.objects.filter(name=name, display_name=name), "same").all("x")
    with pytest.raises(TypeError, match="not exactly one parameter"):  # changed by its lookup
        CompiledQuery(lambda name: Namespace.objects.filter(name__contains=name), "stand-in-name").all("x")


def test_a_query_that_depends_on_more_than_its_values_is_refused(db):
    """Compiled twice, with two sets of stand-ins: the SQL and every other parameter must be
    the same, or build reads something besides its arguments."""
    calls = iter(range(100))
    with pytest.raises(TypeError, match="depend on more than its values"):  # a parameter changes
        CompiledQuery(lambda name: Namespace.objects.filter(name=name, status=str(next(calls))), "n").all("x")
    with pytest.raises(TypeError, match="SQL depends on its values"):  # the SQL text changes
        CompiledQuery(lambda n: Namespace.objects.filter(name="x")[: 2 + next(calls)], -918_273_645).all(1)
    with pytest.raises(TypeError, match="SQL depends on its values"):  # a value written into the SQL
        CompiledQuery(lambda n: Namespace.objects.filter(pk__in=range(n % 3 + 1)), -918_273_645).all(1)
    with pytest.raises(TypeError, match="an int or a str"):
        CompiledQuery(lambda when: Namespace.objects.filter(created_at=when), datetime.now(UTC))


def test_querysets_it_cannot_rebuild_are_refused(db):
    with pytest.raises(TypeError):
        CompiledQuery(lambda name: Namespace.objects.filter(name=name).values_list("pk", flat=True), "s").all(
            "x"
        )
    with pytest.raises(TypeError):
        CompiledQuery(lambda name: Namespace.objects.filter(name=name).prefetch_related("team"), "s").all("x")
    with pytest.raises(TypeError, match="read by ModelIterable"):
        CompiledQuery(lambda name: Namespace.objects.filter(name=name), "s").dicts("x")
    with pytest.raises(TypeError, match="takes 1 values"):
        CompiledQuery(lambda name: Namespace.objects.filter(name=name), "s").all()


def test_values_dicts_are_what_the_queryset_gives(namespaces):
    def build(team_id: int):
        return (
            Namespace.objects.filter(team_id=team_id)
            .annotate(members=Count("memberships"))
            .values("name", "display_name", "created_at", "members", team_name=F("team__name"))
            .order_by("name")
        )

    lookup = CompiledQuery(build, -918_273_645)
    for team_id in {namespace.team_id for namespace in namespaces} | {0}:
        assert lookup.dicts(team_id) == list(build(team_id))
    assert isinstance(lookup.dicts(namespaces[0].team_id)[0]["created_at"], datetime)


def test_a_sliced_query_reads_pages_as_the_queryset_slices_them(db, rf, settings):
    settings.TENANTRY_PAGE_SIZE = 5
    team = NamespaceFactory(name="ns-00").team
    for n in range(1, 12):
        NamespaceFactory(team=team, name=f"ns-{n:02d}")
    NamespaceFactory(name="elsewhere")

    def build(team_id: int):
        return Namespace.objects.filter(team_id=team_id).order_by("-name").values("name", "status")

    lookup = CompiledQuery(build, -918_273_645, sliced=True)
    for start, stop in ((0, 5), (5, 10), (10, 15), (3, 4), (4, 4), (20, 25)):
        assert lookup.dicts(team.pk, window=slice(start, stop)) == list(build(team.pk)[start:stop])
    with CaptureQueriesContext(connection) as queries:
        page = paginate(rf.get("/", {"page": "2"}), CompiledPages(lookup, team.pk), count=12)
        names = [row["name"] for row in page.object_list]
    assert names == [f"ns-{n:02d}" for n in range(6, 1, -1)]
    assert names == [row["name"] for row in build(team.pk)[5:10]]
    assert page.next_url == "?page=3" and len(queries) == 1
    with pytest.raises(TypeError, match="a slice"):
        lookup.dicts(team.pk)
    with pytest.raises(TypeError, match="only a sliced"):
        CompiledQuery(build, -918_273_645).dicts(team.pk, window=slice(0, 5))
    with pytest.raises(TypeError, match="sliced by its reads"):
        CompiledQuery(lambda t: build(t)[:5], -918_273_645, sliced=True).dicts(team.pk, window=slice(0, 5))


def claims(namespace_id: int):
    return (
        RouteClaim.objects.filter(namespace_id=namespace_id)
        .order_by("kind", "name", "host", "path")
        .values_list("kind", "name", "status", "host", "path", "seen_at")
    )


def test_values_list_rows_are_what_the_queryset_gives_in_its_order(namespaces):
    with_rows, without = namespaces
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for n, (kind, name, host, path) in enumerate(
        [
            ("Ingress", "web", "b.example", "/"),
            ("HTTPRoute", "api", "a.example", "/v1"),
            ("Ingress", "web", "a.example", "/"),
        ]
    ):
        RouteClaim.objects.create(
            namespace=with_rows, team=with_rows.team, kind=kind, name=name, host=host,
            host_reversed=host[::-1], path=path, status=f"status {n}", seen_at=seen,
        )  # fmt: skip
    lookup = CompiledQuery(claims, -918_273_645)
    for namespace in (with_rows, without):
        assert lookup.rows(namespace.pk) == list(claims(namespace.pk))
    assert [row[3] for row in lookup.rows(with_rows.pk)] == ["a.example", "a.example", "b.example"]
    assert lookup.rows(with_rows.pk)[0][5] == seen  # converted as the ORM converts it
    with pytest.raises(TypeError):
        lookup.all(with_rows.pk)


def catalog(state_id: int):
    found = ClusterRuntime.objects.filter(state_id=state_id, name=OuterRef("name"))
    return RuntimeClassProfile.objects.annotate(installed=Exists(found))


def test_annotations_are_set_as_the_queryset_sets_them(namespaces):
    state, _ = ClusterState.objects.get_or_create(cluster=namespaces[0].cluster)
    names = list(RuntimeClassProfile.objects.values_list("name", flat=True))
    assert len(names) >= 2  # the catalog the migrations install
    ClusterRuntime.objects.create(state=state, name=names[1], seen_at=datetime.now(UTC))
    lookup = CompiledQuery(catalog, -918_273_645)
    for state_id in (state.pk, state.pk + 1):
        found = lookup.all(state_id)
        assert [(p.name, p.installed) for p in found] == [(p.name, p.installed) for p in catalog(state_id)]
    assert {p.name for p in lookup.all(state.pk) if p.installed} == {names[1]}
    with pytest.raises(TypeError):
        lookup.rows(state.pk)


def test_compilations_of_connections_long_gone_are_forgotten(namespaces, monkeypatch):
    """A thread per request (runserver) is a connection per request: the compilations kept stay
    bounded, and a query compiled again still reads right."""
    import core.compiled

    monkeypatch.setattr(core.compiled, "MAX_CONNECTIONS", 2)
    lookup = CompiledQuery(build, "stand-in-name")
    for fake_id in (1, 2):
        lookup._compiled[fake_id] = lookup._compile("default")
    assert len(lookup._compiled) == 2
    assert [ns.name for ns in lookup.all("with-rows")] == ["with-rows"]
    assert list(lookup._compiled) == [id(connections["default"])]


def test_converted_rows_are_the_values_the_orm_reads_type_for_type(world):
    """A cursor's rows converted by the fields their columns read are the ``values_list()``
    rows of the same columns (a datetime, a boolean); a column without a field comes as it is."""
    from metering.models import QuotaRequest

    QuotaRequest.objects.create(team=world.team, namespace=world.namespace, reason="r", needs_staff=True)
    QuotaRequest.objects.create(team=world.team, namespace=world.namespace, reason="s", needs_staff=False)
    fields = [QuotaRequest._meta.get_field(name) for name in ("id", "needs_staff", "created_at", "reason")]
    q = connection.ops.quote_name
    columns = ", ".join(q(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}, 7 FROM {q(QuotaRequest._meta.db_table)} ORDER BY {q('id')}")  # noqa: S608
        rows = cursor.fetchall()
    converted = converted_rows(rows, [*fields, None])
    expected = QuotaRequest.objects.order_by("id").values_list("id", "needs_staff", "created_at", "reason")
    assert [tuple(row[:4]) for row in converted] == list(expected)
    for row, orm in zip(converted, expected, strict=True):
        assert [type(value) for value in row[:4]] == [type(value) for value in orm]
        assert row[4] == 7
    assert converted_rows([], fields) == []
