"""Settings of the scale check's processes: the console's, plus one bare page to compare with."""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"

# The check sends bill runs itself at known moments; beat's hourly one must not bill first.
CELERY_BEAT_SCHEDULE = {k: v for k, v in CELERY_BEAT_SCHEDULE.items() if k != "billing-hourly"}  # noqa: F405
