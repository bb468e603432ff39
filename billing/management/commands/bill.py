"""`manage.py bill --date YYYY-MM-DD [--team SLUG]` or `--from/--to`: bill days by hand."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.services.runs import days_bill
from tenants.models import Team


class Command(BaseCommand):
    help = "Bill one day (--date) or a range (--from/--to) for every team or one (--team). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat)
        parser.add_argument("--from", dest="first", type=date.fromisoformat)
        parser.add_argument("--to", dest="last", type=date.fromisoformat)
        parser.add_argument("--team", help="team slug")

    def handle(self, *args, date=None, first=None, last=None, team=None, **options):
        if date and (first or last):
            raise CommandError("Use either --date or --from/--to.")
        if date:
            first = last = date
        if not (first and last):
            raise CommandError("Give --date YYYY-MM-DD, or both --from and --to.")
        if first > last:
            raise CommandError("--from must not be after --to.")
        teams = None
        if team:
            teams = list(Team.objects.filter(slug=team))
            if not teams:
                raise CommandError(f"No team {team!r}.")
        run = days_bill(first=first, last=last, teams=teams)
        self.stdout.write(
            f"Bill run {run.pk}: {run.teams_billed} teams, {run.days_billed} team-days "
            f"({run.days_unchanged} already billed, unchanged), {run.lines_written} lines written, "
            f"{len(run.errors)} errors in {run.duration}."
        )
        if teams and len(teams) == 1 and first == last and run.days_unchanged:
            self.stdout.write(f"{teams[0].slug} {first}: already billed, nothing changed.")
        for error in run.errors:
            self.stderr.write(f"{error['team']} {error['day']}: {error['error']}")
        if run.errors:
            raise CommandError("Some days were not billed; see the errors above.")
