"""Fixtures of the browser tests."""

import io

import pytest
from django.core.management import call_command


@pytest.fixture
def demo_console(live_server, settings, cluster):
    """The console on a live server with `manage.py demo` data (provisioned on the emulator)."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.SITE_URL = live_server.url
    call_command("demo", "--no-cluster", stdout=io.StringIO())
    return live_server.url
