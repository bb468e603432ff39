import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0004_namespace_runtime"),
        ("tenants", "0002_provisioning_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="usagehourly",
            name="namespace",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="usage_hourly",
                to="tenants.namespace",
            ),
        ),
        migrations.AddIndex(
            model_name="usagehourly",
            index=models.Index(fields=["namespace", "hour"], name="usagehourly_namespace_hour"),
        ),
    ]
