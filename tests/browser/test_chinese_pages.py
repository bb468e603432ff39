"""The ten main pages in a Chinese browser: Accept-Language zh-CN, rendered by Chromium, with
no English left but the data people typed and technical terms (see tests/test_pages_in_chinese).

With SCREENSHOTS_DIR set, a screenshot of each page is written there (the README's Chinese
section shows docs/screenshots/zh/).
"""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from billing.models import LedgerEntry, PriceBook
from metering.models import QuotaRequest, RuntimeClassProfile
from tenants.models import AuditEvent, Namespace, Team
from tests.test_pages_in_chinese import WORD, english_left

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSONAS = ("manager", "developer", "finance", "admin")
VIEWPORT = {"width": 1280, "height": 800}


def _demo_words() -> set[str]:
    """Words of the demo data (team names, reasons, notes): typed by people, not the console's."""
    texts: list[str] = []
    texts += Team.objects.values_list("name", flat=True)
    texts += Namespace.objects.values_list("display_name", flat=True)
    texts += QuotaRequest.objects.values_list("reason", flat=True)
    texts += QuotaRequest.objects.values_list("decision_note", flat=True)
    texts += LedgerEntry.objects.values_list("reason", flat=True)
    texts += PriceBook.objects.values_list("note", flat=True)
    texts += RuntimeClassProfile.objects.values_list("description", flat=True)
    texts += AuditEvent.objects.values_list("actor_repr", flat=True)
    texts += AuditEvent.objects.values_list("target_repr", flat=True)
    return {word.lower() for text in texts for word in WORD.findall(text or "")}


def _pages() -> list[tuple[str, str, str]]:
    platform = Team.objects.get(slug="platform")
    name = "platform-dev"
    return [
        ("manager", "dashboard", reverse("dashboard")),
        ("manager", "team", reverse("team_detail", args=[platform.slug])),
        ("manager", "namespace", reverse("namespace_detail", args=[name])),
        ("manager", "usage", reverse("metering:namespace_usage", args=[name]) + "?range=7d"),
        ("manager", "quota", reverse("metering:team_quota", args=[platform.slug])),
        ("manager", "team-billing", reverse("billing:team", args=[platform.slug])),
        ("developer", "access", reverse("access")),
        ("developer", "tokens", reverse("token_list")),
        ("finance", "finance", reverse("billing:finance_index")),
        ("admin", "clusters", reverse("cluster_list")),
    ]


def test_main_pages_in_chinese(demo_console, new_page, django_user_model):
    cast = {u.username: u for u in django_user_model.objects.filter(username__in=PERSONAS)}
    data_words = _demo_words()
    shots = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else None
    browsers = {p: new_page(user=cast[p], base_url=demo_console, locale="zh-CN") for p in PERSONAS}
    problems = []
    for persona, label, path in _pages():
        page = browsers[persona]
        page.set_viewport_size(VIEWPORT)
        response = page.goto(path)
        if response is None or response.status != 200:
            problems.append(f"{label}: HTTP {response.status if response else 'no response'}")
            continue
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "lang") == "zh-hans", label
        left = english_left(page.content(), data_words)
        if left:
            problems.append(f"{label} ({path}): {sorted(left)}")
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{re.sub(r'[^a-z-]', '', label)}.png"))
    assert not problems, "English left on Chinese pages:\n" + "\n".join(problems)
