"""The scan report as JSON (the input of `--evidence`), Markdown (a CI job summary) or text.
Kinds, counts and places only: no secret value and no piece of personal data is ever held, so
none can be printed."""

from __future__ import annotations

from bot.core.outcomes import Evidence
from bot.scan.model import Location, ScanReport

SHOWN = 5
SHALLOW = ("**This is a shallow clone: commits before its depth were not read. Fetch the whole "
           "history (`git fetch --unshallow`) to scan it.**")


def to_json(report: ScanReport) -> str:
    """The whole report, for `assess --evidence` and `chat --evidence`."""
    return report.model_dump_json(indent=2)


def _where(locations: list[Location], count: int) -> str:
    shown = ", ".join(f"`{location}`" for location in locations[:SHOWN])
    return shown + (f" and {count - SHOWN} more" if count > SHOWN else "")


def _sections(report: ScanReport) -> list[tuple[str, list[str]]]:
    """(title, lines) per kind of finding, in the order a reviewer reads them."""
    secrets = [f"{f.kind}: {f.count} places"
               f"{' (removed from the working tree, still in the history)' if f.removed else ''}"
               f" in {_where(f.locations, f.count)}" for f in report.secrets]
    if report.allowed_secrets:
        secrets.append(f"{report.allowed_secrets} more on lines marked `pragma: allowlist "
                       "secret` or `gitleaks:allow` (test values): left out")
    licences = [f"{f.expression} ({f.source}"
                f"{f', {f.copyleft} copyleft' if f.copyleft else ''}"
                f"{', third-party' if f.third_party else ''}) in {_where(f.locations, f.count)}"
                for f in report.licences]
    personal = [f"{f.count} possible {f.kind.replace('_', ' ')} values in "
                f"{_where(f.locations, len(f.locations))}" for f in report.personal_data]
    crypto = [f"{'Implements' if f.kind == 'implementation' else 'Uses'} {f.what} in "
              f"{_where(f.locations, len(f.locations))}" for f in report.cryptography]
    authors = [f"{a.domain}: {a.commits} commits ({a.role}"
               f"{f' {a.entity}' if a.entity else ''})" for a in report.authors]
    internal = [f"{r.kind} {r.target} in {_where(r.locations, len(r.locations))}"
                for r in report.internal_references]
    documents = [f"{d.name}: {f'`{d.path}`' if d.path else 'missing'}" for d in report.documents]
    return [("Secrets", secrets), ("Licences", licences), ("Possible personal data", personal),
            ("Cryptography", crypto), ("Authors by e-mail domain", authors),
            ("Internal references", internal), ("Base documentation", documents)]


def suggestion_line(evidence: Evidence) -> str:
    """`question` = answer (confidence): what was found."""
    answer = ", ".join(evidence.answer) if isinstance(evidence.answer, list) else evidence.answer
    return f"`{evidence.question}` = `{answer}` ({evidence.confidence:.0%}): {evidence.detail}"


def to_markdown(report: ScanReport) -> str:
    """A report for people and CI job summaries."""
    head = report.head[:10] if report.head else "no commit yet"
    lines = [f"# Repository scan of `{report.root}` at {head}", "",
             (f"{report.files} files, {report.commits} commits, {report.history_blobs} older "
              "file versions read. Values of secrets and personal data are never shown."), "",
             "## Suggested answers", ""]
    if report.shallow:
        lines[4:4] = [SHALLOW, ""]
    lines += [f"- {suggestion_line(e)}" for e in report.suggestions] or ["- none"]
    for title, entries in _sections(report):
        lines += ["", f"## {title}", ""] + ([f"- {entry}" for entry in entries] or ["- none"])
    return "\n".join(lines)


def to_text(report: ScanReport) -> str:
    """The same as Markdown, plainer, for a terminal."""
    return to_markdown(report).replace("`", "").replace("# ", "").replace("#", "")


FORMATS = {"json": to_json, "markdown": to_markdown, "text": to_text}
