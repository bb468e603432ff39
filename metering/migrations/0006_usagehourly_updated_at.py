from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0005_usagehourly_namespace_hour"),
    ]

    operations = [
        migrations.AddField(
            model_name="usagehourly",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
    ]
