"""Log lines: plain text or JSON (``LOG_FORMAT=json``), with the request or task they belong to,
and never a secret.

The request id, user id and team of a web request, and the id of a Celery task, live in
context variables that the middleware and Celery's signals set; a filter copies them onto
every record and masks anything that looks like a credential before any handler sees it.
"""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str] = ContextVar("request_id", default="")
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
team: ContextVar[str] = ContextVar("team", default="")
task_id: ContextVar[str] = ContextVar("task_id", default="")

CONTEXT: dict[str, ContextVar] = {
    "request_id": request_id,
    "user_id": user_id,
    "team": team,
    "task_id": task_id,
}

REDACTED = "[redacted]"
_SECRETS = [
    # Authorization headers and bearer tokens (API tokens, ServiceAccount JWTs).
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # key=value, key: value and "key": "value" for names that hold secrets.
    (
        re.compile(
            r"""(?ix)
            (["']?\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|
            client[_-]?key[_-]?data|client[_-]?certificate[_-]?data|sessionid|csrftoken)[\w-]*["']?
            \s*[:=]\s*["']?)
            ([^"'\s,;&}]+)"""
        ),
        rf"\1{REDACTED}",
    ),
    # Passwords inside URLs: scheme://user:password@host.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@"), rf"\1{REDACTED}@"),
    # JWTs wherever they appear (three base64url parts, the first one a JSON header).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), REDACTED),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Adds the request/task context to every record and masks secrets in its text.

    The message is rendered once here (``msg % args``) so that a secret passed as an argument
    is masked too; the exception text is rendered and masked the same way.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT.items():
            setattr(record, name, var.get())
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; context fields only when set."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name in CONTEXT:
            value = getattr(record, name, None)
            if value not in (None, ""):
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is an answer, not a fault: log its one line ("Forbidden (Permission denied): /path")
    without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING for ``LOG_FORMAT`` (``text`` or ``json``)."""
    formatter = (
        {"()": "console.observability.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "console.observability.logs.ContextFilter"},
            "forbidden_without_traceback": {"()": "console.observability.logs.ForbiddenWithoutTraceback"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["context"]}
        },
        "loggers": {"django.request": {"filters": ["forbidden_without_traceback"]}},
        "root": {"handlers": ["console"], "level": level},
    }
