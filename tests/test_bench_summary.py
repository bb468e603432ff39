"""The closing summary of `make bench`: goals judged against their limit, the growth table."""

import json

from bench.__main__ import RUN_GOAL_S, summary
from bench._setup import record_goal, record_growth


def test_recorded_figures_reach_the_summary(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("BENCH_RECORD", str(record))
    record_goal("billing 20,000 namespaces <= 3x floor", "2.1 s; floor 0.9 s", 2.33, limit=3)
    record_goal("metering 50,000 vs 10,000 per namespace", "1.9 vs 0.9 ms", 2.11, limit=3)
    record_goal("pages: team quota <= 2x bare view", "9.0 ms", 4.5, limit=2)
    record_growth("provisioning", "ms/namespace", [10, 100, 1000], [40.0, 30.0, 32.0])
    entries = [json.loads(line) for line in record.read_text().splitlines()]

    lines = summary(entries, RUN_GOAL_S + 60, whole_run=True)

    by_goal = {line.split("  ")[0]: line for line in lines}
    assert by_goal["billing 20,000 namespaces <= 3x floor"].endswith("2.33x  yes")
    assert by_goal["pages: team quota <= 2x bare view"].endswith("4.50x  NO")
    assert next(line for line in lines if line.startswith("make bench under 15 min")).endswith("NO")
    growth = next(line for line in lines if line.startswith("provisioning, ms/namespace"))
    assert "40.0 @10" in growth and "32.0 @1,000" in growth and growth.endswith("0.80")


def test_a_run_of_one_benchmark_is_not_judged_on_total_time():
    assert not any("15 min" in line for line in summary([], 10_000, whole_run=False))


def test_without_a_record_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_RECORD", raising=False)
    monkeypatch.chdir(tmp_path)
    record_goal("x", "y", 1.0, limit=2)
    assert list(tmp_path.iterdir()) == []
