"""The migration that gives the quarter hours kept so far their quarter index and value (the
gauge's mean, the counter's sum), as the rollup now writes them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.migrations import migrate


def _before():
    """Every app at its latest, metering before the quarters held their value."""
    leaves = MigrationLoader(connection).graph.leaf_nodes()
    return [node for node in leaves if node[0] != "metering"] + [("metering", "0013_usage_quarter_hour")]


@pytest.mark.django_db(transaction=True)
def test_kept_quarters_get_their_index_and_value():
    apps = migrate(_before())
    Team = apps.get_model("tenants", "Team")
    Namespace = apps.get_model("tenants", "Namespace")
    Cluster = apps.get_model("clusters", "Cluster")
    Quarter = apps.get_model("metering", "UsageQuarterHour")
    team = Team.objects.create(name="Acme", slug="acme")
    cluster = Cluster.objects.first() or Cluster.objects.create(name="default", is_default=True)
    namespace = Namespace.objects.create(team=team, name="acme-dev", cluster=cluster)
    start = datetime(2026, 3, 4, 12, 45, tzinfo=UTC)
    for metric, total, measured in (("cpu_usage", "7.5", 3), ("net_egress_external", "1048576", 15)):
        Quarter.objects.create(
            namespace=namespace, metric=metric, window_start=start, window_end=start + timedelta(minutes=15),
            total=Decimal(total), measured=measured,
        )  # fmt: skip

    apps = migrate()
    Quarter = apps.get_model("metering", "UsageQuarterHour")
    rows = dict((m, (q, v)) for m, q, v in Quarter.objects.values_list("metric", "quarter", "value"))
    index = int(start.timestamp()) // 900
    assert rows == {"cpu_usage": (index, 2.5), "net_egress_external": (index, 1048576.0)}
