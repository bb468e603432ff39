"""Beat sends scheduled tasks only while it holds the leader lock in Redis."""

import pytest
from celery.beat import PersistentScheduler

from console.beat import LOCK_NAME, LeaderScheduler, redis_client
from console.celery import app as celery_app


@pytest.fixture
def scheduler_factory(redis_url, settings, tmp_path, monkeypatch):
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_BEAT_LOCK_SECONDS = 30
    redis_client(redis_url).delete(LOCK_NAME)
    sent: list[str] = []
    monkeypatch.setattr(PersistentScheduler, "tick", lambda self, *a, **kw: sent.append(self.name) or 1.0)
    made: list[LeaderScheduler] = []

    def make(name: str) -> LeaderScheduler:
        scheduler = LeaderScheduler(app=celery_app, schedule_filename=str(tmp_path / name), lazy=True)
        scheduler.name = name
        made.append(scheduler)
        return scheduler

    make.sent = sent
    yield make
    for scheduler in made:
        scheduler.leading and scheduler.lock.release()
    redis_client(redis_url).delete(LOCK_NAME)


def test_only_one_of_two_beats_sends(scheduler_factory):
    first, second = scheduler_factory("first"), scheduler_factory("second")
    for _ in range(3):
        assert first.tick() == 1.0
        assert second.tick() == 10.0  # standing by, looks again within a third of the lease
    assert scheduler_factory.sent == ["first"] * 3


def test_the_standby_takes_over_when_the_leader_stops(scheduler_factory):
    first, second = scheduler_factory("first"), scheduler_factory("second")
    first.tick()
    second.tick()
    first.close()
    second.tick()
    assert scheduler_factory.sent == ["first", "second"]


def test_a_leader_whose_lease_expired_stands_down(scheduler_factory, redis_url):
    first, second = scheduler_factory("first"), scheduler_factory("second")
    first.tick()
    redis_client(redis_url).delete(LOCK_NAME)  # as if first stalled past its lease
    second.tick()
    first.tick()
    assert scheduler_factory.sent == ["first", "second"]
    assert not first.leading


def test_redis_client_understands_the_embedded_brokers_socket_url():
    client = redis_client("redis+socket:///tmp/some%20dir/redis.sock")
    assert client.connection_pool.connection_kwargs["path"] == "/tmp/some dir/redis.sock"
