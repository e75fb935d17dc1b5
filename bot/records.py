"""The decision record: a check, its OSPO review and the trail, in the shape of an architecture
decision record, to commit next to the code (`opensource-check record`, and the Slack result)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.flow import FlowDefinition
from bot.core.outcomes import FLAG_TITLES, GOVERNANCE_TITLES, PATH_TITLES
from bot.core.reviews import STATE_TITLES, EventKind, Review, ReviewEvent
from bot.store.base import HistoryEntry

EVENT_TITLES: dict[EventKind, str] = {
    EventKind.REQUESTED: "Review requested",
    EventKind.APPROVED: "Approved",
    EventKind.CHANGES_REQUESTED: "Changes requested",
    EventKind.DECLINED: "Declined",
    EventKind.RE_REQUESTED: "Review re-requested with a new check",
    EventKind.REMINDED: "Reminder",
}


def answer_text(flow: FlowDefinition, question_id: str, answer: object) -> tuple[str, str]:
    """A question's prompt and the answer's label(s); the ids when the flow no longer has them."""
    question = flow.by_id.get(question_id)
    chosen = [str(a) for a in answer] if isinstance(answer, list | tuple) else [str(answer)]
    if question is None:
        return question_id, ", ".join(chosen)
    labels = [getattr(question.option(a), "label", a) for a in chosen]
    return question.prompt, ", ".join(labels)


def decision_record(entry: HistoryEntry, review: Review | None, events: Sequence[ReviewEvent],
                    flow: FlowDefinition) -> str:
    """The record in Markdown: status, context (the answers), decision (path and governance),
    consequences (flags and next steps) and approvals (the event trail)."""
    rec = entry.recommendation
    name = review.name if review else f"check {entry.check_id}"
    status = STATE_TITLES[review.state] if review else "Not reviewed"
    due = f", due {review.rereview_due:%Y-%m-%d}" if review and review.rereview_due else ""
    checked = (f"`{entry.check_id}`, {entry.completed_at:%Y-%m-%d}, by "
               f"{entry.user_name or entry.user_id} ({entry.platform})")
    lines = [f"# Open source decision: {name}", "", f"- Status: {status}",
             f"- Check: {checked}", f"- Re-review: in {rec.review_in_months} months{due}",
             "", "## Context", ""]
    for question_id, answer in entry.answers.items():
        prompt, said = answer_text(flow, question_id, answer)
        lines.append(f"- {prompt} **{said}**")
    lines += ["", "## Decision", "", f"**{PATH_TITLES[rec.path]}** under "
              f"**{GOVERNANCE_TITLES[rec.governance]}** governance"
              + (f", later {GOVERNANCE_TITLES[rec.target_governance]}"
                 if rec.target_governance else "") + ".", ""]
    lines += [f"- {reason.reason}" for reason in rec.rationale]
    for conflict in rec.conflicts:
        lines.append(f"- Conflict: {conflict.summary} Decide: {conflict.decide}")
    lines += ["", "## Consequences", ""]
    lines += [f"- **{FLAG_TITLES[note.flag]}**: {note.action}" for note in rec.flag_notes]
    lines += [f"{number}. {step}" for number, step in enumerate(rec.next_steps, start=1)]
    lines += ["", "## Approvals", ""]
    lines += [_event_line(event) for event in events] or ["No OSPO review was requested."]
    return "\n".join(lines) + "\n"


def _event_line(event: ReviewEvent) -> str:
    who = event.actor_name or event.actor
    line = f"- {event.at:%Y-%m-%d %H:%M} UTC: {EVENT_TITLES[event.kind]} by {who}"
    if event.check_id and event.kind is not EventKind.REQUESTED:
        line += f" (check `{event.check_id}`)"
    return line + (f": \u201c{event.comment}\u201d" if event.comment else "")
