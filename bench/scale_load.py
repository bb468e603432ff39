"""The scale check's load: simulated users over loopback, run in a process of its own.

    python -m bench.scale_load USERS.json URL SECONDS OUT.json

Each user (a thread with its own keep-alive connection) signs in with its session cookie and
API token from USERS.json, then loops over a mix of pages and API calls with a think time,
until SECONDS have passed. Writes every request's page, status and latency to OUT.json.
"""

import json
import random
import sys
import threading
import time
from pathlib import Path

import requests

THINK_SECONDS = (1.0, 3.0)
TIMEOUT_SECONDS = 30
# (page, weight, path template, uses the API token)
MIX = (
    ("dashboard", 3, "/", False),
    ("team", 2, "/teams/{team}/", False),
    ("namespace", 2, "/namespaces/{namespace}/", False),
    ("usage", 2, "/namespaces/{namespace}/usage/?range=24h", False),
    ("billing", 2, "/billing/teams/{team}/", False),
    ("api teams", 1, "/api/v1/teams/", True),
    ("api namespaces", 1, "/api/v1/namespaces/", True),
    ("api usage", 1, "/api/v1/namespaces/{namespace}/usage/?metric=cpu_usage&step=3600", True),
    ("api charges", 1, "/api/v1/billing/teams/{team}/charges/", True),
    ("bare base template", 2, "/_bench/base", False),
)


def user_loop(user: dict, url: str, seconds: float, results: list, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.cookies.set("sessionid", user["session"], domain="127.0.0.1", path="/")
    pages = [m for m in MIX for _ in range(m[1])]

    def get(page: tuple) -> int | str:
        _, _, template, api = page
        path = template.format(team=user["team"], namespace=rng.choice(user["namespaces"]))
        headers = {"Authorization": f"Bearer {user['token']}"} if api else {}
        try:
            return session.get(
                url + path, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
            ).status_code
        except requests.RequestException as exc:
            return type(exc).__name__

    # Warm-up, not measured: every page once, so each server process has loaded its code and
    # compiled its templates before the clock runs.
    for page in MIX:
        get(page)
    deadline = time.monotonic() + seconds
    time.sleep(rng.uniform(0, THINK_SECONDS[1]))  # users arrive spread out
    while time.monotonic() < deadline:
        page = rng.choice(pages)
        started = time.perf_counter()
        status = get(page)
        results.append((page[0], status, time.perf_counter() - started))
        time.sleep(rng.uniform(*THINK_SECONDS))


def main() -> None:
    users_file, url, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    users = json.loads(Path(users_file).read_text())
    results: list = []
    threads = [
        threading.Thread(target=user_loop, args=(user, url, seconds, results, n), daemon=True)
        for n, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * TIMEOUT_SECONDS + 60)
    with open(out, "w") as fh:
        json.dump({"seconds": seconds, "users": len(users), "requests": results}, fh)


if __name__ == "__main__":
    main()
