"""Run every benchmark under bench/ and print its figures: `make bench`.

Each benchmark runs in its own process, since each sets up Django with its own database.
`python -m bench bench_provisioning` runs just one; `--quick` (`make bench QUICK=1`) runs the
small sizes only; `--large` adds the sizes too slow for the default run, where a benchmark has
them (bench_provisioning: 10,000 namespaces provisioned one by one). At the end, the goals of
issue 15 as measured in this run (goal, measured, ratio), the growth table (cost per item at 1x,
10x and 100x of a small size) and the run's wall time, from what each benchmark recorded (``bench._setup.record_goal``/``record_growth``).
"""

import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# `make bench` (all benchmarks, full sizes) should take less than this on the development machine.
RUN_GOAL_S = 15 * 60


def _cost(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:,.1f}"


def summary(entries: list[dict], elapsed: float, *, whole_run: bool) -> list[str]:
    """The closing tables of a run, as lines."""
    goals = [e for e in entries if e["kind"] == "goal"]
    growth = [e for e in entries if e["kind"] == "growth"]
    lines = []
    if goals:
        lines += ["", "== summary: goals of this run", f"{'goal':<62} {'measured':<44} {'ratio':>7}  met"]
        for g in goals:
            ratio = "" if g["ratio"] is None else f"{g['ratio']:.2f}x"
            met = {True: "yes", False: "NO", None: "-"}[g["met"]]
            lines.append(f"{g['goal']:<62} {g['measured']:<44} {ratio:>7}  {met}")
    if whole_run:
        met = "yes" if elapsed <= RUN_GOAL_S else "NO"
        lines.append(
            f"{'make bench under 15 min':<62} {f'{elapsed / 60:.1f} min':<44} {elapsed / RUN_GOAL_S:>6.2f}x  {met}"
        )
    if growth:
        lines += ["", "== summary: cost per item at 1x, 10x, 100x of a small size"]
        lines.append(f"{'':<44} {'1x':>14} {'10x':>14} {'100x':>14}  100x/1x")
        for g in growth:
            cells = [f"{_cost(c)} @{s:,}" for s, c in zip(g["sizes"], g["costs"], strict=True)]
            trend = g["costs"][-1] / g["costs"][0] if g["costs"][0] else float("nan")
            lines.append(
                f"{g['name'] + ', ' + g['unit']:<44} "
                + " ".join(f"{c:>14}" for c in cells)
                + f"  {trend:.2f}"
            )
    return lines


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    quick = "--quick" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a not in ("--quick", "--large")]
    only = [a for a in args if a in names]
    # `python -m bench bench_billing 20000 50000`, `python -m bench bench_pages dashboard`: the other
    # arguments (sizes, page labels) go to the benchmark (its sys.argv[2:]).
    passed = [a for a in args if a not in names]
    with tempfile.NamedTemporaryFile(prefix="tenantry-bench-", suffix=".jsonl", delete=False) as f:
        record = Path(f.name)
    env = {
        **os.environ,
        "BENCH_QUICK": "1" if quick else os.environ.get("BENCH_QUICK", ""),
        "BENCH_LARGE": "1" if "--large" in sys.argv[1:] else os.environ.get("BENCH_LARGE", ""),
        "BENCH_RECORD": str(record),
    }
    failed = 0
    started = time.perf_counter()
    for name in names:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        code = f"import bench.{name} as b; b.main()"
        began = time.perf_counter()
        failed += (
            subprocess.run(
                [sys.executable, "-c", code, name, *passed], cwd=here.parent, env=env, check=False
            ).returncode
            != 0
        )
        print(f"({name}: {time.perf_counter() - began:.0f} s)", flush=True)
    elapsed = time.perf_counter() - started
    entries = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line.strip()]
    record.unlink()
    for line in summary(entries, elapsed, whole_run=not only and not quick and "--large" not in sys.argv[1:]):
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
