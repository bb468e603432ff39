"""Idempotent demo data for `make run` (see ``console.demo``); prints the logins and what it did."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from console.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Create (or keep) the demo users, teams, namespaces, usage history and bills."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-cluster", action="store_true", help="Do not seed live usage on the Kubernetes emulator."
        )

    def handle(self, *args, no_cluster: bool, **options):
        summary = demo_load(now=timezone.now(), seed_cluster=not no_cluster)
        cast = summary.cast
        personal = cast.teams[-1]
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for user, what in [
            (cast.admin, "cluster admin (staff)"),
            (cast.finance, "finance"),
            (cast.manager, "owner of teams 'platform' and 'research'"),
            (cast.developer, f"developer in platform-dev; owner of the personal team '{personal.slug}'"),
        ]:
            self.stdout.write(f"  {user.email:<32} {what}")
        for line in summary.lines:
            self.stdout.write(f"  {line}")
