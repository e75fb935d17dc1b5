"""The recommendation as one neutral report that every surface renders: Slack, Teams, the
terminal, and the Markdown and text formats of `assess`, `history` and channel summaries.

The order is the product's: what to do (path and governance), what pulls apart and must be
decided (conflicts), the flags with their actions and links, the next steps, what would change
the advice (decisions you could change, facts that would change it, routes to more open paths),
why, the evidence used and the answers. Everything is in the user's words: option labels and
titles, never ids. No I/O, no SDK: each surface only lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.flow import FlowDefinition
from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_MEANINGS,
    GOVERNANCE_TITLES,
    PATH_MEANINGS,
    PATH_TITLES,
    Link,
    Recommendation,
    WhatIf,
)
from bot.records import answer_text

SAVED = ("This check is saved. See it again with `opensource-check history`, or export it with "
         "`opensource-check history --format csv`.")


@dataclass(frozen=True, slots=True)
class Titled:
    """A title and what it means, e.g. a path or a governance model."""

    title: str
    meaning: str


@dataclass(frozen=True, slots=True)
class FlagItem:
    """A flag: its title, the one thing to do, and where to read more."""

    title: str
    action: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """Answers that pull apart: what, and what to decide."""

    summary: str
    decide: str
    questions: tuple[str, ...] = ()  # the questions involved, as their prompts


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a surface shows about one recommendation, already in the user's words."""

    headline: str
    path: Titled
    governance: Titled
    later: Titled | None
    conflicts: tuple[ConflictItem, ...]
    flags: tuple[FlagItem, ...]
    next_steps: tuple[str, ...]
    choices: tuple[str, ...]  # "decisions you could change"
    facts: tuple[str, ...]  # "facts that would change it"
    routes: tuple[str, ...]  # "to reach a more open path"
    reasons: tuple[str, ...]
    evidence: tuple[str, ...]
    answers: tuple[tuple[str, str], ...]  # (question prompt, answer labels)
    learn_more: tuple[Link, ...]
    review_in_months: int
    path_id: str = field(default="")

    @property
    def has_changes(self) -> bool:
        """Whether there is anything under "what would change"."""
        return bool(self.choices or self.facts or self.routes)

    @property
    def changes(self) -> list[tuple[str, tuple[str, ...]]]:
        """"What would change" as titled lists, the empty ones left out."""
        return [(title, items) for title, items in ((CHOICES_TITLE, self.choices),
                                                    (FACTS_TITLE, self.facts),
                                                    (ROUTES_TITLE, self.routes)) if items]


def outcome(what: WhatIf) -> str:
    """Where a set of changed answers leads: path and governance titles."""
    text = f"{PATH_TITLES[what.path]}, {GOVERNANCE_TITLES[what.governance]}"
    if what.target_governance is not None:
        text += f" (later {GOVERNANCE_TITLES[what.target_governance]})"
    return text


def _if(what: WhatIf) -> str:
    """A what-if in the user's words: the changed answers, then where they lead."""
    return f"{what.said} \u2192 {outcome(what)}"


def build(rec: Recommendation, flow: FlowDefinition,
          answers: Mapping[str, object] | None = None) -> Report:
    """The report of `rec`; `answers` (ids) are listed as labels when given."""
    later = None
    if rec.target_governance is not None:
        later = Titled(GOVERNANCE_TITLES[rec.target_governance],
                       GOVERNANCE_MEANINGS[rec.target_governance])
    conflicts = tuple(ConflictItem(c.summary, c.decide, tuple(
        flow.by_id[q].prompt if q in flow.by_id else q for q in c.questions))
        for c in rec.conflicts)
    flags = tuple(FlagItem(FLAG_TITLES[n.flag], n.action, tuple(n.links))
                  for n in rec.flag_notes)
    noted = {n.flag for n in rec.flag_notes}
    flags += tuple(FlagItem(FLAG_TITLES[f], "") for f in rec.flags if f not in noted)
    reasons = tuple(dict.fromkeys(r.reason for r in rec.rationale))  # never a reason twice
    evidence = tuple(
        f"{answer_text(flow, e.question, e.answer)[1]} ({e.confidence:.0%} sure): {e.detail}"
        for e in rec.evidence)
    shown = tuple(answer_text(flow, q, a) for q, a in (answers or {}).items())
    wwc = rec.what_would_change
    return Report(
        headline=rec.headline,
        path=Titled(PATH_TITLES[rec.path], PATH_MEANINGS[rec.path]),
        governance=Titled(GOVERNANCE_TITLES[rec.governance], GOVERNANCE_MEANINGS[rec.governance]),
        later=later, conflicts=conflicts, flags=flags, next_steps=tuple(rec.next_steps),
        choices=tuple(_if(w) for w in wwc.choices), facts=tuple(_if(w) for w in wwc.facts),
        routes=tuple(_if(w) for w in wwc.routes), reasons=reasons, evidence=evidence,
        answers=shown, learn_more=tuple(rec.learn_more), review_in_months=rec.review_in_months,
        path_id=rec.path.value)


# --- Markdown and plain text ----------------------------------------------------------------

CHOICES_TITLE = "Decisions you could change"
FACTS_TITLE = "Facts that would change it"
ROUTES_TITLE = "To reach a more open path"


def to_markdown(report: Report) -> str:
    """The report in Markdown: headings, bullets and links."""
    lines = [f"# {report.headline}", "",
             f"**{report.path.title}**: {report.path.meaning}",
             f"**{report.governance.title}**: {report.governance.meaning}"]
    if report.later is not None:
        lines.append(f"**Later, in public: {report.later.title}**: {report.later.meaning}")
    if report.conflicts:
        lines += ["", "## Conflicts to decide", ""]
        lines += [f"- {c.summary} **Decide:** {c.decide}" for c in report.conflicts]
    if report.flags:
        lines += ["", "## Flags", ""]
        for flag in report.flags:
            links = " ".join(f"[{k.title}]({k.url})" for k in flag.links)
            lines.append(f"- **{flag.title}**: {flag.action}" + (f" ({links})" if links else ""))
    lines += ["", "## Next steps", ""] + [f"{i}. {s}" for i, s in
                                          enumerate(report.next_steps, start=1)]
    if report.has_changes:
        lines += ["", "## What would change the advice"]
        for title, items in report.changes:
            lines += ["", f"### {title}", ""] + [f"- {item}" for item in items]
    lines += ["", "## Why", ""] + [f"- {r}" for r in report.reasons]
    if report.evidence:
        lines += ["", "## Evidence used", ""] + [f"- {e}" for e in report.evidence]
    if report.answers:
        lines += ["", "## Your answers", ""] + [f"- {q} **{a}**" for q, a in report.answers]
    if report.learn_more:
        lines += ["", "## Learn more", ""] + [f"- [{k.title}]({k.url})"
                                              for k in report.learn_more]
    lines += ["", f"Review this advice in {report.review_in_months} months."]
    return "\n".join(lines)


def to_text(report: Report) -> str:
    """The report as plain text: the recommendation first, then every section, indented."""
    lines = [report.headline, "", f"{report.path.title}: {report.path.meaning}",
             f"{report.governance.title}: {report.governance.meaning}"]
    if report.later is not None:
        lines.append(f"Later, in public: {report.later.title}: {report.later.meaning}")
    if report.conflicts:
        lines += ["", "Conflicts to decide:"]
        lines += [f"  - {c.summary} Decide: {c.decide}" for c in report.conflicts]
    if report.flags:
        lines += ["", "Flags:"]
        for flag in report.flags:
            lines.append(f"  - {flag.title}: {flag.action}".rstrip(": "))
            lines += [f"    {k.title}: {k.url}" for k in flag.links]
    lines += ["", "Next steps:"] + [f"  {i}. {s}" for i, s in
                                    enumerate(report.next_steps, start=1)]
    if report.has_changes:
        lines += ["", "What would change the advice:"]
        for title, items in report.changes:
            lines += [f"  {title}:"] + [f"    - {item}" for item in items]
    lines += ["", "Why:"] + [f"  - {r}" for r in report.reasons]
    if report.evidence:
        lines += ["", "Evidence used:"] + [f"  - {e}" for e in report.evidence]
    if report.answers:
        lines += ["", "Your answers:"] + [f"  - {q} {a}" for q, a in report.answers]
    if report.learn_more:
        lines += ["", "Learn more:"] + [f"  - {k.title}: {k.url}" for k in report.learn_more]
    lines += ["", f"Review this advice in {report.review_in_months} months."]
    return "\n".join(lines)
