"""``migrate`` that is safe to start twice at once: the Helm hook Job runs this.

On PostgreSQL the run holds a session advisory lock while it migrates, so a second run (two
``helm upgrade`` racing, or a Job retried while the first pod still runs) waits for the
first and then finds nothing left to apply. Other databases (SQLite in development) have a
single writer anyway.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any constant shared by every run; "tenantry" in ASCII.
LOCK_KEY = 0x74656E616E747279


class Command(BaseCommand):
    help = "Apply migrations under a database lock, so concurrent runs apply each migration once."

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout)
            return
        with connection.cursor() as cursor:
            self.stdout.write("Waiting for the migration lock…")
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            try:
                self.stdout.write("Migration lock held.")
                call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
