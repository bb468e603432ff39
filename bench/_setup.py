"""Django setup for benchmarks: a throwaway SQLite database unless told otherwise."""

import logging
import os
import tempfile
from pathlib import Path


def django_with_temp_sqlite() -> Path:
    """Point Django at a fresh SQLite file, set it up and migrate; returns the directory."""
    workdir = Path(tempfile.mkdtemp(prefix="tenantry-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["TENANTRY_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django
    from django.core.management import call_command

    django.setup()
    logging.disable(logging.INFO)  # keep per-task log lines out of the figures
    call_command("migrate", verbosity=0)
    return workdir
