"""Celery beat that sends due tasks only while it is the leader.

The leader holds a Redis lock (``SET NX PX``) in the broker's Redis and renews it on every
tick; a second beat process (a rolling update, a pod on a partitioned node) finds the lock
taken and only waits, taking over at most ``CELERY_BEAT_LOCK_SECONDS`` after the leader
stops renewing. The chart also runs beat as one replica with the ``Recreate`` strategy; the
lock is what makes a second copy harmless. Every periodic task is idempotent as well, so
even a leader stalled past its lease that sends once more does no harm.
"""

import contextlib
import logging
from urllib.parse import unquote, urlsplit

import redis
from celery.beat import PersistentScheduler
from django.conf import settings
from prometheus_client import Gauge
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

logger = logging.getLogger(__name__)

LOCK_NAME = "tenantry:beat-leader"
BEAT_LEADER = Gauge(
    "tenantry_beat_leader", "1 while this beat process holds the leader lock", multiprocess_mode="max"
)


def redis_client(url: str) -> redis.Redis:
    """A client for the broker URL, including the embedded broker's ``redis+socket://``."""
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=unquote(urlsplit(url).path))
    return redis.Redis.from_url(url)


class LeaderScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs) -> None:
        self.lock_seconds = settings.CELERY_BEAT_LOCK_SECONDS
        self.lock = Lock(
            redis_client(settings.CELERY_BROKER_URL),
            LOCK_NAME,
            timeout=self.lock_seconds,
            blocking=False,
            thread_local=False,
        )
        self.leading = False
        super().__init__(*args, **kwargs)

    def _lead(self) -> bool:
        """Renew the lock while holding it, try to take it otherwise; True when leading."""
        try:
            if self.leading:
                self.lock.reacquire()
            else:
                self.leading = bool(self.lock.acquire())
                if self.leading:
                    logger.info("beat: leader lock taken; sending scheduled tasks")
        except LockError:
            logger.warning("beat: leader lock lost; standing by")
            self.leading = False
        except RedisError as exc:
            # Without Redis there is no broker to send to either; stop leading until it is back.
            logger.warning("beat: cannot reach Redis for the leader lock: %s", exc)
            self.leading = False
        BEAT_LEADER.set(1 if self.leading else 0)
        return self.leading

    def tick(self, *args, **kwargs) -> float:
        # Renew well before the lease runs out, whatever the next due task is.
        renew_every = self.lock_seconds / 3
        if not self._lead():
            return renew_every
        return min(super().tick(*args, **kwargs), renew_every)

    def close(self) -> None:
        if self.leading:
            # Expired or unreachable: it frees itself after the lease.
            with contextlib.suppress(LockError, RedisError):
                self.lock.release()
            self.leading = False
        super().close()
