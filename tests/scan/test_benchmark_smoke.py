"""python -m benchmarks.scan runs its secrets and speed sections on a small repository. Only
that they run and print their figures (full recall, no look-alike found): the speed target is
the benchmark's to judge, since timing assertions on a shared machine flake. The licence section
needs ScanCode Toolkit, which is not a test dependency."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_scan_benchmark_prints_recall_and_speed_on_a_small_repository() -> None:
    run = subprocess.run([sys.executable, "-m", "benchmarks.scan", "--only", "secrets"],
                         cwd=ROOT, timeout=300, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Secrets: 11/11 planted credentials found" in run.stdout
    assert "findings on 16 look-alikes: 0" in run.stdout
    run = subprocess.run([sys.executable, "-m", "benchmarks.scan", "--only", "speed",
                          "--files", "300", "--commits", "400"],
                         cwd=ROOT, timeout=300, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "300 files and 400 commits" in run.stdout and "detect-secrets scan" in run.stdout
