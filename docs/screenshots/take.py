"""Screenshots of the console for the README, taken from a running console with demo data.

    python manage.py devstack --port 8765          # or any console with `manage.py demo` data
    python docs/screenshots/take.py --url http://localhost:8765

Logs in as the demo personas in Chromium (Playwright) and writes one PNG per page next to
this script, at a 1280x800 viewport. A shot may follow links from its page (the last link of
each name, so a list shows its newest row) and scroll a section to the top before taking it.
"""

import argparse
import os
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
DOMAIN = "tenantry.localhost"
VIEWPORT = {"width": 1280, "height": 800}


class Shot(NamedTuple):
    """Each persona sees the page the way it is meant to be used."""

    name: str
    persona: str
    path: str
    follow: tuple[str, ...] = ()
    scroll_to: str = ""


SHOTS = [
    Shot("dashboard.png", "manager", "/"),
    Shot("team.png", "manager", "/teams/platform/"),
    Shot("namespace.png", "manager", "/namespaces/platform-dev/"),
    Shot("access.png", "developer", "/access/"),
    Shot("usage.png", "developer", "/namespaces/platform-dev/usage/?range=7d", scroll_to="#charts-h"),
    Shot("team-billing.png", "manager", "/billing/teams/platform/"),
    Shot("prepaid-billing.png", "developer", "/billing/teams/developers-team/"),
    Shot("finance.png", "finance", "/billing/finance/"),
    Shot(
        "finance-line.png",
        "finance",
        "/billing/finance/",
        follow=("Platform Engineering", "platform-dev", "cpu"),
    ),
    Shot("clusters.png", "admin", "/clusters/"),
]


def log_in(browser: Browser, url: str, persona: str, password: str) -> Page:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", f"{persona}@{DOMAIN}")
    page.fill("input[name=password]", password)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(lambda current: "/accounts/login/" not in current)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8765", help="the running console")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "tenantry-demo"))
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    url = args.url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        executable = args.chromium if Path(args.chromium).exists() else None
        browser = playwright.chromium.launch(executable_path=executable)
        pages: dict[str, Page] = {}
        for shot in SHOTS:
            if shot.persona not in pages:
                pages[shot.persona] = log_in(browser, url, shot.persona, args.password)
            page = pages[shot.persona]
            response = page.goto(f"{url}{shot.path}", wait_until="networkidle")
            if response is None or response.status != 200:
                status = response.status if response else "?"
                raise SystemExit(f"{shot.path} as {shot.persona}: HTTP {status}")
            for link in shot.follow:
                page.get_by_role("link", name=link, exact=True).last.click()
                page.wait_for_load_state("networkidle")
            if shot.scroll_to:
                page.locator(shot.scroll_to).evaluate(
                    "element => element.closest('section').scrollIntoView()"
                )
                page.wait_for_timeout(300)
            page.screenshot(path=args.out / shot.name)
            print(f"{shot.name:<20} {shot.persona:<10} {page.url.removeprefix(url)}")
        browser.close()


if __name__ == "__main__":
    main()
