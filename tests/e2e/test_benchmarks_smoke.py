"""python -m benchmarks.platforms --quick runs every section and writes every figure.

Only that the figures exist and are positive: the speed targets are the benchmark's to judge,
since timing assertions on a shared machine flake.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("machine", "slack_turn", "teams_turn", "load", "memory", "cold_start", "stores",
            "targets")


def numbers(figures: dict[str, Any]) -> list[float]:
    return [value for value in figures.values()
            if isinstance(value, int | float) and not isinstance(value, bool)]


def test_the_quick_platform_benchmark_writes_every_section_with_positive_figures(
        tmp_path: Path) -> None:
    output = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.platforms", "--quick", "--json",
                          str(output)], cwd=ROOT, timeout=120, capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert set(SECTIONS) <= set(figures)
    for shape in ("ours", "bare bolt, default runner", "bare bolt, ack + background"):
        assert all(n > 0 for n in numbers(figures["slack_turn"][shape])), shape
    for bot in ("ours, agents", "ours, botbuilder", "bare echo bot, agents",
                "bare echo bot, botbuilder"):
        assert all(n > 0 for n in numbers(figures["teams_turn"][bot])), bot
    for configuration in ("sqlite", "sqlite, 2 workers", "postgresql+redis",
                          "postgresql+redis, 2 workers"):  # a service may be down: say so
        row = figures["load"][configuration]
        assert "unavailable" in row or all(n > 0 for n in numbers(row)), configuration
    assert figures["load"]["sqlite: 2 workers speed-up"]["speed_up"] > 0
    memory = figures["memory"]
    assert memory["rss_idle_mb"] > 0 and memory["rss_loaded_mb"] > 0
    for configuration in ("slack only", "teams only", "slack and teams"):
        assert figures["cold_start"][configuration]["median_s"] > 0
    assert figures["cold_start"]["slack only imports"]["slack_bolt"] > 0  # the check can see
    assert figures["stores"]["sqlite"]["turn_median_ms"] > 0
    for backend in ("postgresql", "postgresql+redis"):  # a service may be down: say so, though
        row = figures["stores"][backend]
        assert "unavailable" in row or row["turn_median_ms"] > 0
    names = [row["target"] for row in figures["targets"]]
    assert len(names) >= 12  # the Teams target once per SDK, the load's four on each store
    assert all(row["met"] in (True, False) for row in figures["targets"] if row["limit"])
