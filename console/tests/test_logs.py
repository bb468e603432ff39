"""Log lines: JSON with request, user, team and task context; never a secret."""

import io
import json
import logging
import logging.config

import pytest
from rest_framework.test import APIClient

from console.celery import app as celery_app
from console.observability.logs import logging_config, redact
from tenants.services.tokens import api_token_create


@pytest.fixture
def json_lines():
    """Root logging as with LOG_FORMAT=json, into a buffer; gives a reader of parsed lines."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


@pytest.mark.django_db
def test_web_lines_carry_request_id_user_and_team(client, world, json_lines):
    client.force_login(world.owner)
    response = client.get("/teams/acme/", HTTP_X_REQUEST_ID="req-abc-123")
    assert response["X-Request-ID"] == "req-abc-123"
    line = next(entry for entry in json_lines() if entry["logger"] == "tenantry.request")
    assert line["request_id"] == "req-abc-123"
    assert line["user_id"] == world.owner.pk
    assert line["team"] == "acme"
    assert line["message"].startswith("GET team_detail 200")


@pytest.mark.django_db
def test_a_made_up_request_id_is_replaced(client, json_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_api_token_and_its_user_id_in_lines_but_never_the_token(world, json_lines):
    _token, raw = api_token_create(user=world.owner, name="ci")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/teams/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}x")
    assert api.get("/api/v1/teams/").status_code == 401
    logging.getLogger("tenants").warning("token rejected: Authorization: Bearer %s", raw)
    lines = json_lines()
    assert raw not in json.dumps(lines)
    request_lines = [entry for entry in lines if entry["logger"] == "tenantry.request"]
    assert request_lines[0]["user_id"] == world.owner.pk


def test_worker_lines_carry_the_task_id(json_lines):
    @celery_app.task(name="tests.log_something")
    def log_something() -> None:
        logging.getLogger("tests").info("working")

    result = log_something.apply()
    line = next(entry for entry in json_lines() if entry["message"] == "working")
    assert line["task_id"] == result.id


def test_exceptions_with_secrets_are_masked(json_lines):
    try:
        raise RuntimeError("connect postgres://tenantry:s3cr3t-pass@db:5432/x failed")
    except RuntimeError:
        logging.getLogger("tests").exception("database password=hunter2 refused")
    line = json_lines()[-1]
    text = json.dumps(line)
    assert "s3cr3t-pass" not in text and "hunter2" not in text
    assert "db:5432" in line["exception"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer tnt_abcdefghijklmnop", "tnt_abcdefghijklmnop"),
        ("token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "eyJzdWIiOiJ4In0"),
        ('{"client-key-data": "LS0tLS1CRUdJTi"}', "LS0tLS1CRUdJTi"),
        ("?password=hunter2&next=/", "hunter2"),
        ("redis://:brokerpass@redis:6379/0", "brokerpass"),
        ("SECRET_KEY=abcdef0123", "abcdef0123"),
    ],
)
def test_redact_masks_credentials(text, secret):
    assert secret not in redact(text)


def test_redact_leaves_ordinary_text_alone():
    assert redact("provisioned acme-dev in 12 ms") == "provisioned acme-dev in 12 ms"
