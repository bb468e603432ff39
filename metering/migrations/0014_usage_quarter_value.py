from django.db import migrations, models

# The counters (metering.models.COUNTER_METRICS as this migration was written): summed, where
# gauges are averaged.
COUNTERS = ("net_ingress_internal", "net_ingress_external", "net_egress_internal", "net_egress_external")
EPOCH = {
    "sqlite": "CAST(strftime('%%s', window_start) AS INTEGER)",  # %% reaches SQLite as %
    "postgresql": "CAST(EXTRACT(EPOCH FROM window_start) AS BIGINT)",
}


def fill(apps, schema_editor):
    """The quarters kept so far get their quarter index and value, as the rollup now writes them."""
    connection = schema_editor.connection
    table = connection.ops.quote_name(apps.get_model("metering", "UsageQuarterHour")._meta.db_table)
    marks = ", ".join(["%s"] * len(COUNTERS))
    total = "CAST(total AS DOUBLE PRECISION)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET quarter = {EPOCH[connection.vendor]} / 900,"  # noqa: S608
            f" value = CASE WHEN metric IN ({marks}) THEN {total} ELSE {total} / measured END",
            COUNTERS,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0013_usage_quarter_hour"),
    ]

    operations = [
        migrations.AddField(
            model_name="usagequarterhour",
            name="quarter",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="usagequarterhour",
            name="value",
            field=models.FloatField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="usagequarterhour",
            index=models.Index(fields=["namespace", "metric", "quarter", "value"], name="usagequarter_chart"),
        ),
    ]
