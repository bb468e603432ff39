"""Each line referenced its quantity rule by value (1.2 KB of text per line); the text is now
stored once per distinct rule, content-addressed by its SHA-256, and lines point to it."""

import hashlib

import django.db.models.deletion
from django.db import migrations, models


def rules_store_once(apps, schema_editor):
    Charge = apps.get_model("billing", "Charge")
    QuantityRule = apps.get_model("billing", "QuantityRule")
    texts = Charge.objects.order_by().values_list("quantity_rule", flat=True).distinct()
    for text in list(texts):
        digest = hashlib.sha256(text.encode()).hexdigest()
        rule, _created = QuantityRule.objects.get_or_create(digest=digest, defaults={"text": text})
        Charge.objects.filter(quantity_rule=text).update(rule=rule)


def rules_inline(apps, schema_editor):
    Charge = apps.get_model("billing", "Charge")
    QuantityRule = apps.get_model("billing", "QuantityRule")
    for rule in QuantityRule.objects.all():
        Charge.objects.filter(rule=rule).update(quantity_rule=rule.text)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_billing_account_claimed_by"),
    ]

    operations = [
        migrations.CreateModel(
            name="QuantityRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(help_text="SHA-256 of the text, hex", max_length=64, unique=True)),
                ("text", models.TextField()),
            ],
        ),
        migrations.AddField(
            model_name="charge",
            name="rule",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.quantityrule",
            ),
        ),
        migrations.AlterField(
            model_name="charge", name="quantity_rule", field=models.TextField(blank=True, default="")
        ),
        migrations.RunPython(rules_store_once, rules_inline),
        migrations.RemoveField(model_name="charge", name="quantity_rule"),
        migrations.AlterField(
            model_name="charge",
            name="rule",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.quantityrule",
            ),
        ),
    ]
