"""The data migration that moves suspension's memory from billing to clusters."""

import pytest
from django.db import connection

from tests.migrations import migrate

BEFORE = [
    ("billing", "0006_pricebook_effective_day"),
    ("clusters", "0003_max_token_hours"),
    # Before namespaces had to name their cluster (issue 18), as the rows below do not.
    ("tenants", "0007_account_preferences_and_invitation_language"),
]


@pytest.mark.django_db(transaction=True)
def test_what_a_suspension_changed_is_still_remembered_after_the_move():
    apps = migrate(BEFORE)
    Team = apps.get_model("tenants", "Team")
    Namespace = apps.get_model("tenants", "Namespace")
    SuspendedObject = apps.get_model("billing", "SuspendedObject")
    team = Team.objects.create(name="Acme", slug="acme")
    namespace = Namespace.objects.create(team=team, name="acme-dev")
    SuspendedObject.objects.create(namespace=namespace, kind="Deployment", name="web", replicas=3)
    SuspendedObject.objects.create(namespace=namespace, kind="CronJob", name="nightly", was_suspended=False)

    apps = migrate()
    SuspendedWorkload = apps.get_model("clusters", "SuspendedWorkload")
    rows = SuspendedWorkload.objects.order_by("kind").values_list(
        "namespace_id", "kind", "name", "replicas", "was_suspended"
    )
    assert list(rows) == [
        (namespace.pk, "CronJob", "nightly", None, False),
        (namespace.pk, "Deployment", "web", 3, None),
    ]
    assert "billing_suspendedobject" not in connection.introspection.table_names()
