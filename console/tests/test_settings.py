"""Settings read from the environment: which cache the throttles share."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _caches_with(tmp_path, **env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    environment.update(DJANGO_SETTINGS_MODULE="console.settings", TENANTRY_VAR_DIR=str(tmp_path), **env)
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    output = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(output.stdout)["default"]


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({"REDIS_URL": "redis://cache.internal:6379/1"}, "django.core.cache.backends.redis.RedisCache"),
        ({}, "django.core.cache.backends.filebased.FileBasedCache"),
    ],
)
def test_the_cache_is_redis_when_redis_url_is_set_else_files_under_var(tmp_path, env, backend):
    cache = _caches_with(tmp_path, **env)
    assert cache["BACKEND"] == backend
    expected = env.get("REDIS_URL") or str(tmp_path / "cache")
    assert cache["LOCATION"] == expected
