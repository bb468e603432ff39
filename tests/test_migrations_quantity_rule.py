"""The data migration that stores each line's quantity rule once and points the lines to it."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.migrations import migrate


def _before():
    """Every app at its latest, billing before the rule was stored once."""
    leaves = MigrationLoader(connection).graph.leaf_nodes()
    return [node for node in leaves if node[0] != "billing"] + [
        ("billing", "0008_billing_account_claimed_by")
    ]


@pytest.mark.django_db(transaction=True)
def test_every_line_keeps_the_rule_text_it_was_rated_with():
    apps = migrate(_before())
    Team = apps.get_model("tenants", "Team")
    Namespace = apps.get_model("tenants", "Namespace")
    Cluster = apps.get_model("clusters", "Cluster")
    PriceBook = apps.get_model("billing", "PriceBook")
    Statement = apps.get_model("billing", "Statement")
    Charge = apps.get_model("billing", "Charge")
    team = Team.objects.create(name="Acme", slug="acme")
    cluster = Cluster.objects.first() or Cluster.objects.create(name="default", is_default=True)
    namespace = Namespace.objects.create(team=team, name="acme-dev", cluster=cluster)
    book = PriceBook.objects.create(
        version=1, currency="USD", effective_from=date(2024, 1, 1), cpu_core_hour=1, memory_gib_hour=1,
        storage_gib_hour=1, gpu_hour=1, egress_gib=1, load_balancer_hour=1,
    )  # fmt: skip
    start, end = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC)
    statement = Statement.objects.create(
        team=team, month=date(2024, 3, 1), currency="USD", period_start=start, period_end=end
    )
    texts = {"a": "the rule of 2024", "b": "the rule of 2024", "c": "an older rule, word for word"}
    for key, text in texts.items():
        Charge.objects.create(
            key=key, team=team, namespace=namespace, statement=statement, metric="cpu", day=date(2024, 3, 1),
            window_start=start, window_end=end, price_book=book, quantity=Decimal(1), billable_quantity=Decimal(1),
            unit_price=Decimal(1), amount=Decimal(1), currency="USD", coverage=Decimal(1), quantity_rule=text,
            hours=1, storage_class=key,
        )  # fmt: skip

    apps = migrate()
    Charge = apps.get_model("billing", "Charge")
    QuantityRule = apps.get_model("billing", "QuantityRule")
    assert dict(Charge.objects.values_list("key", "rule__text")) == texts
    assert QuantityRule.objects.count() == 2
    for rule in QuantityRule.objects.all():
        assert rule.digest == hashlib.sha256(rule.text.encode()).hexdigest()
