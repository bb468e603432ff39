"""Screenshots of the console for the README, taken from a running console with demo data.

    python manage.py devstack --port 8765          # or any console with `manage.py demo` data
    python docs/screenshots/take.py --url http://localhost:8765

Logs in as the demo personas in Chromium (Playwright) and writes one PNG per page next to
this script, at a 1280x800 viewport.
"""

import argparse
import os
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
DOMAIN = "tenantry.localhost"
VIEWPORT = {"width": 1280, "height": 800}
# (file name, persona, path): each persona sees the page the way it is meant to be used.
SHOTS = [
    ("dashboard.png", "manager", "/"),
    ("team.png", "manager", "/teams/platform/"),
    ("namespace.png", "manager", "/namespaces/platform-dev/"),
    ("access.png", "developer", "/access/"),
    ("usage.png", "developer", "/namespaces/platform-dev/usage/"),
    ("team-billing.png", "manager", "/billing/teams/platform/"),
    ("finance.png", "finance", "/billing/finance/"),
    ("clusters.png", "admin", "/clusters/"),
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
        for name, persona, path in SHOTS:
            if persona not in pages:
                pages[persona] = log_in(browser, url, persona, args.password)
            page = pages[persona]
            response = page.goto(f"{url}{path}", wait_until="networkidle")
            if response is None or response.status != 200:
                raise SystemExit(f"{path} as {persona}: HTTP {response.status if response else '?'}")
            page.screenshot(path=args.out / name)
            print(f"{name:<18} {persona:<10} {path}")
        browser.close()


if __name__ == "__main__":
    main()
