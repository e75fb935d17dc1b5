"""The CI contract: which findings block a release. `scan --fail-on KINDS` fails on any finding
of those kinds; `assess --evidence FILE --fail-on-blocking` fails on the findings that block the
recommended path. Both exit with EXIT_BLOCKING and name what blocks on standard error."""

from __future__ import annotations

from bot.core.outcomes import Path, Recommendation
from bot.scan.model import ScanReport

EXIT_BLOCKING = 1
KINDS = ("secrets", "copyleft", "personal_data", "encryption", "internal")

COPYLEFT_FORBIDDEN = frozenset({Path.PARTNER_SOURCE})
"""Paths that strong copyleft rules out: GPL-derived code cannot be shared under an NDA or
source-available terms (domain notes, "Copyleft"); on the other paths it is a flag to act on."""


def findings_of(report: ScanReport, kinds: list[str]) -> list[str]:
    """One line per finding of the given kinds, for `scan --fail-on`."""
    lines: list[str] = []
    if "secrets" in kinds:
        lines += [f"{f.kind} in {f.count} places" + (" (in the history)" if f.in_history else "")
                  for f in report.secrets]
    if "copyleft" in kinds:
        lines += [f"{f.copyleft} copyleft {f.expression} in {f.locations[0]}"
                  for f in report.licences if f.copyleft is not None]
    if "personal_data" in kinds:
        lines += [f"{f.count} possible {f.kind} values" for f in report.personal_data]
    if "encryption" in kinds:
        lines += [f"{f.kind} of {f.what}" for f in report.cryptography]
    if "internal" in kinds:
        lines += [f"{r.kind} {r.target}" for r in report.internal_references]
    return lines


def blocking(report: ScanReport, rec: Recommendation) -> list[str]:
    """What blocks the recommended path: any committed credential while the code is to be seen
    beyond its team (rotate it and clean the history first), and strong copyleft on a path that
    rules it out. Keeping the code closed blocks nothing."""
    if rec.path == Path.KEEP_CLOSED:
        return []
    lines = [f"secret: {f.kind} in {f.count} places"
             + (", still in the git history" if f.in_history else "")
             + ": rotate it and clean or restart the history" for f in report.secrets]
    if rec.path in COPYLEFT_FORBIDDEN:
        lines += [f"copyleft: {f.expression} in {f.locations[0]} cannot be shared on the path "
                  f"{rec.path.value}" for f in report.licences
                  if f.copyleft in {"strong", "network"}]
    return lines
