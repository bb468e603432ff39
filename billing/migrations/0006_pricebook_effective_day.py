"""A price book version takes effect on a calendar day (00:00 in each team's time zone)
instead of at a UTC instant: the instant becomes its UTC day, or the next day when it was not
a UTC midnight (so no team is priced by a version earlier than before)."""

from datetime import UTC, timedelta

from django.db import migrations, models


def instant_to_day(apps, schema_editor):
    PriceBook = apps.get_model("billing", "PriceBook")
    for book in PriceBook.objects.all():
        instant = book.effective_from.astimezone(UTC)
        day = instant.date()
        if (instant.hour, instant.minute, instant.second, instant.microsecond) != (0, 0, 0, 0):
            day += timedelta(days=1)
        PriceBook.objects.filter(pk=book.pk).update(effective_day=day)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0005_ledger_bounds"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="pricebook", name="uniq_pricebook_effective"),
        migrations.AddField(model_name="pricebook", name="effective_day", field=models.DateField(null=True)),
        migrations.RunPython(instant_to_day, migrations.RunPython.noop),
        migrations.RemoveField(model_name="pricebook", name="effective_from"),
        migrations.RenameField(model_name="pricebook", old_name="effective_day", new_name="effective_from"),
        migrations.AlterField(
            model_name="pricebook",
            name="effective_from",
            field=models.DateField(help_text="Takes effect at 00:00 of this day in each team's time zone"),
        ),
        migrations.AddConstraint(
            model_name="pricebook",
            constraint=models.UniqueConstraint(fields=("currency", "effective_from"), name="uniq_pricebook_effective"),
        ),
    ]
