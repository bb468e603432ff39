"""The Content-Security-Policy header, and templates that keep to it (the browser test in
tests/browser/test_csp.py checks the rendered pages)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"  # inline script
    r"|<style\b|\sstyle=|\son[a-z]+=|\shx-on[:-]"  # inline style, inline handler, htmx eval
)


@pytest.mark.django_db
def test_every_page_carries_the_policy(client, world):
    client.force_login(world.owner)
    for url in (reverse("dashboard"), reverse("account_login"), "/no/such/page/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_template_has_an_inline_script_style_or_handler():
    templates = [
        p for p in ROOT.rglob("*.html") if ".venv" not in p.parts and "test-artifacts" not in p.parts
    ]
    assert len(templates) > 20
    offending = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in templates
        for match in INLINE.finditer(path.read_text())
    ]
    assert offending == []
