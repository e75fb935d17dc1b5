"""python -m benchmarks.scan runs its secrets and speed sections on a small repository. Only
that they run and print their figures (full recall, no look-alike found): the speed target is
the benchmark's to judge, since timing assertions on a shared machine flake. The licence section
needs ScanCode Toolkit, which is not a test dependency: only its cache of ScanCode's answers is
tested, with a stand-in for ScanCode's interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.scan import scancode

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


FAKE_SCANCODE = """#!/bin/sh
# Stands in for the interpreter that has ScanCode: reports its version, and answers MIT for
# every file it is asked about, logging each run.
if [ "$1" = "-c" ]; then echo 32.5.0; exit 0; fi
echo run >> "$(dirname "$0")/runs.log"
exec {python} -c 'import json, sys; print(json.dumps(["MIT"] * len(json.load(sys.stdin))))'
"""


def test_scancode_answers_are_cached_by_text_and_asked_only_for_new_texts(
        tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text(FAKE_SCANCODE.format(python=sys.executable))
    fake.chmod(0o755)
    files = []
    for name, text in {"a": "one text", "b": "another text", "c": "one text"}.items():
        (tmp_path / name).write_text(text)
        files.append(tmp_path / name)
    cache = tmp_path / "cache.json"
    assert scancode(files[:2], str(fake), cache) == (["MIT", "MIT"], 2)
    assert scancode(files, str(fake), cache) == (["MIT", "MIT", "MIT"], 0)  # c is a's text
    assert (tmp_path / "runs.log").read_text().count("run") == 1
    assert list(json.loads(cache.read_text())) == ["32.5.0"]
