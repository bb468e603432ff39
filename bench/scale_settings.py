"""Settings of the scale check's processes: the console's, plus one bare page to compare with."""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"

# Beat runs everything else on its schedule. Not the hourly bill run: the check sends bill runs
# itself at known moments, and beat's must not bill the teams first. Not cluster discovery:
# its first pass finds the emulator's runtime classes and re-provisions every seeded
# namespace, thousands of tasks queued in front of whichever phase is running.
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
    if name not in {"billing-hourly", "metering-discover-clusters"}
}
