"""``makemessages`` with the project's defaults: the whole console into locale/, no source
locations (so moving a line leaves the catalog alone), unwrapped lines, no obsolete entries, and none of the
code that speaks only to operators or tests (the emulator, benchmarks, tests)."""

from django.core.management.commands import makemessages

IGNORED = [".venv", "var", "kubeemu", "localcluster", "bench", "docs", "tests", "*/tests", "node_modules"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        options["no_location"] = True
        options["no_obsolete"] = True
        options["no_wrap"] = True
        if not options.get("locale") and not options.get("all"):
            options["locale"] = ["zh_Hans"]
        return super().handle(*args, **options)
