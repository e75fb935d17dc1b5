"""Adaptive Card 1.5 rendering of the neutral replies (the version Teams renders).

Plain dictionaries, no SDK: tests validate every card against the Adaptive Card schema. Every
Action.Submit carries `ocb` (what to do), the step's `ref` and the `owner` of the check, so a
click on an old card, or on someone else's check in a channel, is recognised and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.answers import chosen
from bot.core.outcomes import AnswerValue
from bot.core.replies import AskQuestion, Closed
from bot.report import Report
from bot.store.base import HistoryEntry

Card = dict[str, Any]

CHOICES = "choices"  # the Input.ChoiceSet of a question that takes several answers
HELP = ("Type **start** (or **opensource-check**) to begin a check, or to resume yours. Answer "
        "with the buttons, or type a number or an answer (several, like 1, 3, where the question "
        "takes several). **back**, **restart**, **cancel**, "
        "**history** and **help** work at any time. In a channel or group chat, @mention me with "
        "**opensource-check** and I will ask you the questions in our personal chat.")


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    """An Adaptive Card 1.5 with this body and these actions."""
    built: Card = {"type": "AdaptiveCard", "version": "1.5",
                   "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "body": body}
    if actions:
        built["actions"] = actions
    return built


def text(value: str, **style: Any) -> dict[str, Any]:
    """A wrapping TextBlock."""
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def submit(title: str, data: dict[str, Any], style: str = "default") -> dict[str, Any]:
    """A button that sends `data` back to the bot as the activity's value."""
    return {"type": "Action.Submit", "title": title, "data": data, "style": style}


def _choice_set(reply: AskQuestion) -> dict[str, Any]:
    """Checkboxes (a multi-select ChoiceSet), the earlier selection ticked."""
    q = reply.question
    choices = [{"title": f"{o.label} ({o.description})" if o.description else o.label,
                "value": o.id} for o in q.options]
    choice_set: dict[str, Any] = {"type": "Input.ChoiceSet", "id": CHOICES, "isMultiSelect": True,
                                  "style": "expanded", "label": "Tick all that apply",
                                  "choices": choices}
    earlier = chosen(reply.previous)
    if earlier:
        choice_set["value"] = ",".join(earlier)
    return choice_set


def question(reply: AskQuestion, owner: str) -> Card:
    """One question: progress, prompt, a button per option (or a multi-select and Continue when
    several answers may be ticked), why-we-ask, Back and Cancel."""
    q = reply.question
    step = {"ref": reply.ref, "owner": owner, "q": q.id}
    if q.multiple:
        answers: list[dict[str, Any]] = [_choice_set(reply), {"type": "ActionSet", "actions": [
            submit("Continue", {"ocb": "answer", "multiple": True, **step}, "positive")]}]
        typed = "Or type the numbers, like 1, 3 (tick nothing for none)."
    else:
        answers = [{"type": "ActionSet", "actions": [
            submit(o.label, {"ocb": "answer", "option": o.id, **step},
                   "positive" if o.id == reply.previous else "default") for o in q.options]}]
        typed = "Or type a number or an answer."
    controls = [{"type": "Action.ToggleVisibility", "title": "Why we ask",
                 "targetElements": ["why"]}]
    if reply.can_go_back:
        controls.append(submit("Back", {"ocb": "back", **step}))
    controls.append(submit("Cancel", {"ocb": "cancel", **step}, "destructive"))
    return card([
        text(f"{reply.progress} \u00b7 {q.block.heading}", size="Small", isSubtle=True),
        text(q.prompt, weight="Bolder", size="Medium"),
        text(f"Why we ask: {q.why}", id="why", isVisible=False, isSubtle=True),
        *answers,
        text(typed, size="Small", isSubtle=True),
    ], controls)


def closed(reply: Closed) -> Card:
    """A settled question: the prompt and the chosen answer (a check mark only on answers)."""
    mark = "\u2714 " if reply.answered else ""
    return card([text(reply.prompt, weight="Bolder"), text(f"{mark}{reply.note}", isSubtle=True)])


def _bullets(lines: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _links(report_links: tuple[Any, ...]) -> str:
    return " \u00b7 ".join(f"[{link.title}]({link.url})" for link in report_links)


def _summary(report: Report) -> list[dict[str, Any]]:
    """Path and governance first, then conflicts and flags with their actions and links."""
    body = [
        text(report.headline, weight="Bolder", size="Large", id=f"path-{report.path_id}"),
        text(f"**{report.path.title}**: {report.path.meaning}"),
        text(f"**{report.governance.title}**: {report.governance.meaning}"),
    ]
    if report.later is not None:
        body.append(text(f"**Later, in public: {report.later.title}**: {report.later.meaning}"))
    if report.conflicts:
        body.append(text("**Conflicts to decide**\n\n" + _bullets(
            [f"{c.summary} **Decide:** {c.decide}" for c in report.conflicts]),
            color="Warning"))
    if report.flags:
        body.append(text("**Flags**\n\n" + _bullets(
            [f"**{f.title}**: {f.action}" + (f" {_links(f.links)}" if f.links else "")
             for f in report.flags])))
    return body


def _details(report: Report) -> list[dict[str, Any]]:
    """Next steps, what would change (two lists and the routes), why, evidence, reading."""
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(report.next_steps, start=1))
    body = [text(f"**Next steps**\n\n{steps}")]
    for title, items in report.changes:
        body.append(text(f"**{title}**\n\n" + _bullets(items)))
    body.append(text("**Why**\n\n" + _bullets(report.reasons)))
    if report.evidence:
        body.append(text("**Evidence used**\n\n" + _bullets(report.evidence)))
    if report.learn_more:
        body.append(text("Learn more: " + _links(report.learn_more), size="Small"))
    return body


def result(report: Report, owner: str, answers: dict[str, AnswerValue],
           channels: dict[str, str]) -> Card:
    """The recommendation, and an offer to post its summary to one of the known channels."""
    body = _summary(report) + _details(report)
    if not channels:
        body.append(text("Add me to a team to post summaries like this one to its channels.",
                         isSubtle=True))
        return card(body)
    body.append({"type": "Input.ChoiceSet", "id": "channel", "label": "Post a summary to",
                 "style": "compact", "value": next(iter(channels)),
                 "choices": [{"title": name, "value": cid} for cid, name in channels.items()]})
    return card(body, [submit("Post summary", {"ocb": "post", "owner": owner,
                                               "answers": answers}, "positive")])


MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def escape_markdown(value: str) -> str:
    """`value` shown as typed: a display name must not turn into a link or bold in a card."""
    return MARKDOWN.sub(r"\\\1", " ".join(value.split()))


def summary(report: Report, user_name: str) -> Card:
    """What a channel sees: who ran the check, the advice and why, the next steps."""
    return card([text(f"{escape_markdown(user_name)} ran an opensource-check", isSubtle=True,
                      size="Small"),
                 *_summary(report), *_details(report)])


def history(entries: list[HistoryEntry]) -> str:
    """The user's recent results, newest first, as a Markdown message."""
    if not entries:
        return "You have no completed checks yet. Type **start** to run one."
    return "Your recent checks:\n\n" + _bullets(
        [f"{e.completed_at:%Y-%m-%d}: {e.recommendation.headline}" for e in entries])
