"""The `scan` command's work, kept out of bot/cli.py so that file only wires arguments."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.core.outcomes import Recommendation
from bot.scan.gate import EXIT_BLOCKING, KINDS, blocking, findings_of
from bot.scan.model import ScanReport
from bot.scan.policy import PolicyError, ScanPolicy, load_policy
from bot.scan.render import FORMATS
from bot.scan.repo import RepositoryError
from bot.scan.scanner import scan

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"opensource-check: {message}", file=sys.stderr)  # noqa: T201
    return EXIT_USAGE


def run_scan(path: Path, *, output_format: str, policy_file: Path | None,
             output: Path | None, fail_on: str, summary: Path | None) -> int:
    """Scan, print or write the report, and exit 1 when a kind in `fail_on` was found."""
    kinds = [kind.strip() for kind in fail_on.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        return _fail(f"--fail-on knows {', '.join(KINDS)}, not {', '.join(unknown)}")
    try:
        policy = load_policy(policy_file)
        report = _scan_with_progress(path, policy)
    except (PolicyError, RepositoryError) as error:
        return _fail(str(error))
    text = FORMATS[output_format](report)
    if summary is not None:
        with summary.open("a", encoding="utf-8") as written:
            written.write(FORMATS["markdown"](report) + "\n\n")
    if output is not None:
        output.write_text(text + "\n", "utf-8")
    else:
        print(text)  # noqa: T201
    found = findings_of(report, kinds)
    for line in found:
        print(f"opensource-check: found {line}", file=sys.stderr)  # noqa: T201
    return EXIT_BLOCKING if found else 0


def _scan_with_progress(path: Path, policy: ScanPolicy) -> ScanReport:
    """A progress bar on standard error, only when it is a terminal (CI logs stay clean)."""
    if not sys.stderr.isatty():
        return scan(path, policy)
    console = Console(stderr=True)
    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scan", total=None)
        return scan(path, policy,
                    lambda done, total: progress.update(task, completed=done, total=total))


def blocking_exit(report: object, rec: Recommendation) -> int:
    """Exit 1 and name each finding that blocks the recommended path, else 0."""
    if not isinstance(report, ScanReport):
        return _fail("--fail-on-blocking needs --evidence FILE")
    found = blocking(report, rec)
    for line in found:
        print(f"opensource-check: blocks {rec.path.value}: {line}", file=sys.stderr)  # noqa: T201
    return EXIT_BLOCKING if found else 0
