"""Adaptive Card 1.5 rendering of the neutral replies (the version Teams renders).

Plain dictionaries, no SDK: tests validate every card against the Adaptive Card schema. Every
Action.Submit carries `ocb` (what to do), the step's `ref` and the `owner` of the check, so a
click on an old card, or on someone else's check in a channel, is recognised and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_MEANINGS,
    GOVERNANCE_TITLES,
    PATH_MEANINGS,
    PATH_TITLES,
    Recommendation,
)
from bot.core.replies import AskQuestion, Closed
from bot.store.base import HistoryEntry

Card = dict[str, Any]

HELP = ("Type **start** (or **opensource-check**) to begin a check, or to resume yours. Answer "
        "with the buttons, or type a number or an answer. **back**, **restart**, **cancel**, "
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


def question(reply: AskQuestion, owner: str) -> Card:
    """One question: progress, prompt, a button per option, why-we-ask, Back and Cancel."""
    q = reply.question
    step = {"ref": reply.ref, "owner": owner, "q": q.id}
    options = [submit(o.label, {"ocb": "answer", "option": o.id, **step},
                      "positive" if o.id == reply.previous else "default") for o in q.options]
    controls = [{"type": "Action.ToggleVisibility", "title": "Why we ask",
                 "targetElements": ["why"]}]
    if reply.can_go_back:
        controls.append(submit("Back", {"ocb": "back", **step}))
    controls.append(submit("Cancel", {"ocb": "cancel", **step}, "destructive"))
    return card([
        text(f"{reply.progress} \u00b7 {q.block.value}", size="Small", isSubtle=True),
        text(q.prompt, weight="Bolder", size="Medium"),
        text(f"Why we ask: {q.why}", id="why", isVisible=False, isSubtle=True),
        {"type": "ActionSet", "actions": options},
        text("Or type a number or an answer.", size="Small", isSubtle=True),
    ], controls)


def closed(reply: Closed) -> Card:
    """A settled question: the prompt and the chosen answer, with no buttons left."""
    return card([text(reply.prompt, weight="Bolder"), text(f"\u2714 {reply.note}", isSubtle=True)])


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _summary(rec: Recommendation) -> list[dict[str, Any]]:
    body = [
        text(rec.headline, weight="Bolder", size="Large", id=f"path-{rec.path.value}"),
        text(f"**{PATH_TITLES[rec.path]}**: {PATH_MEANINGS[rec.path]}"),
        text(f"**{GOVERNANCE_TITLES[rec.governance]}**: {GOVERNANCE_MEANINGS[rec.governance]}"),
    ]
    if rec.target_governance is not None:
        body.append(text(f"**Later, in public: {GOVERNANCE_TITLES[rec.target_governance]}**: "
                         f"{GOVERNANCE_MEANINGS[rec.target_governance]}"))
    body.append(text("**Why**\n\n" + _bullets([r.reason for r in rec.rationale])))
    if rec.flag_notes:
        body.append(text("**Flags**\n\n" + _bullets(
            [f"**{FLAG_TITLES[n.flag]}**: {n.action}" for n in rec.flag_notes])))
    return body


def _details(rec: Recommendation) -> list[dict[str, Any]]:
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(rec.next_steps, start=1))
    body = [text(f"**Next steps**\n\n{steps}")]
    if rec.what_would_change:
        body.append(text("**What would change it**\n\n" + _bullets([
            f"{c.said}: {PATH_TITLES[c.path]}, {GOVERNANCE_TITLES[c.governance]}"
            for c in rec.what_would_change.all])))
    if rec.learn_more:
        body.append(text("Learn more: " + " \u00b7 ".join(
            f"[{link.title}]({link.url})" for link in rec.learn_more), size="Small"))
    return body


def result(rec: Recommendation, owner: str, answers: dict[str, str],
           channels: dict[str, str]) -> Card:
    """The recommendation, and an offer to post its summary to one of the known channels."""
    body = _summary(rec) + _details(rec)
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


def summary(rec: Recommendation, user_name: str) -> Card:
    """What a channel sees: who ran the check, the advice and why, the next steps."""
    return card([text(f"{escape_markdown(user_name)} ran an opensource-check", isSubtle=True,
                      size="Small"),
                 *_summary(rec), *_details(rec)])


def history(entries: list[HistoryEntry]) -> str:
    """The user's recent results, newest first, as a Markdown message."""
    if not entries:
        return "You have no completed checks yet. Type **start** to run one."
    return "Your recent checks:\n\n" + _bullets(
        [f"{e.completed_at:%Y-%m-%d}: {e.recommendation.headline}" for e in entries])
