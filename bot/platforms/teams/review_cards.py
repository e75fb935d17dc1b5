"""Adaptive Cards 1.5 for OSPO reviews in Teams: the offer under a result, the review card with
a comment input and the three decisions, the requester's notices and the reviewers' queue.

Plain dictionaries, like `cards`. Every submit carries `ocb` = review_*, which the Teams edge
hands to `teams_review.TeamsReviews`; the review card's comment arrives as the input `comment`.
"""

from __future__ import annotations

from typing import Any

from bot.core.flow import FlowDefinition
from bot.core.outcomes import FLAG_TITLES, GOVERNANCE_TITLES, PATH_TITLES
from bot.core.reviews import MAX_COMMENT, MAX_NAME, STATE_TITLES, Review, ReviewState
from bot.records import answer_text
from bot.store.base import HistoryEntry

Card = dict[str, Any]
REQUEST, RECORD, DECIDE, RERUN = "review_request", "review_record", "review_decide", "review_rerun"
VERBS = {ReviewState.APPROVED: "approved", ReviewState.CHANGES_REQUESTED: "asked for changes to",
         ReviewState.DECLINED: "declined"}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    built: Card = {"type": "AdaptiveCard", "version": "1.5",
                   "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "body": body}
    if actions:
        built["actions"] = actions
    return built


def _text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def _submit(title: str, data: dict[str, Any], style: str = "default") -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": data, "style": style}


def offer(check_id: str, owner: str, *, needed: bool, ospo: str) -> Card:
    """Under a result: the code's name and Request OSPO review, and the decision record."""
    record = _submit("Decision record", {"ocb": RECORD, "check": check_id, "owner": owner})
    if not needed:
        return _card([_text(f"No review needed for this outcome. Check {check_id}.",
                            isSubtle=True)], [record])
    return _card([
        _text(f"Your company's policy asks {ospo} to review this outcome before you go ahead.",
              weight="Bolder"),
        {"type": "Input.Text", "id": "name", "label": "Name or repository URL",
         "placeholder": "payments-sdk or https://git.example.com/team/repo",
         "maxLength": MAX_NAME, "isRequired": True,
         "errorMessage": "Give the code a short name or its repository URL."},
    ], [_submit("Request OSPO review", {"ocb": REQUEST, "check": check_id, "owner": owner},
                "positive"), record])


def _facts(review: Review, entry: HistoryEntry) -> dict[str, Any]:
    rec = entry.recommendation
    facts = [{"title": "Requested by", "value": review.requester_name or review.requester},
             {"title": "Check", "value": f"{review.check_id} ({review.requested_at:%Y-%m-%d})"},
             {"title": "Path", "value": PATH_TITLES[rec.path]},
             {"title": "Governance", "value": GOVERNANCE_TITLES[rec.governance]}]
    if rec.flags:
        facts.append({"title": "Flags", "value": ", ".join(FLAG_TITLES[f] for f in rec.flags)})
    facts += [{"title": "Conflict", "value": c.summary} for c in rec.conflicts]
    return {"type": "FactSet", "facts": facts}


def _state(review: Review) -> dict[str, Any]:
    if review.state is ReviewState.PENDING:
        return _text(f"\u23f3 {STATE_TITLES[review.state]}", weight="Bolder", id="state-pending")
    when = f"{review.decided_at:%Y-%m-%d %H:%M} UTC" if review.decided_at else ""
    line = (f"**{STATE_TITLES[review.state]}** by {review.decided_by_name or review.decided_by}"
            f" on {when}")
    if review.comment:
        line += f"\n\n> {review.comment}"
    return _text(line, id=f"state-{review.state.value}")


def decision_actions(review: Review) -> list[dict[str, Any]]:
    """Approve, Request changes, Decline: the comment input travels with each."""
    data = {"ocb": DECIDE, "review": review.id}
    return [_submit("Approve", {**data, "decision": ReviewState.APPROVED.value}, "positive"),
            _submit("Request changes", {**data, "decision": ReviewState.CHANGES_REQUESTED.value}),
            _submit("Decline", {**data, "decision": ReviewState.DECLINED.value}, "destructive")]


def _comment_input() -> dict[str, Any]:
    return {"type": "Input.Text", "id": "comment", "label": "Comment for the requester",
            "isMultiline": True, "maxLength": MAX_COMMENT}


def card(review: Review, entry: HistoryEntry, flow: FlowDefinition) -> Card:
    """The review card in the review channel; the input and buttons only while it waits."""
    answers = [answer_text(flow, question, answer) for question, answer in entry.answers.items()]
    body = [_text(f"OSPO review: {review.name}", weight="Bolder", size="Large"),
            _facts(review, entry),
            _text("**Answers**\n\n" + "\n".join(f"- {prompt} **{said}**"
                                                 for prompt, said in answers)),
            _state(review)]
    if review.state is not ReviewState.PENDING:
        return _card(body)
    body.append(_comment_input())
    return _card(body, decision_actions(review))


def queue(reviews: list[Review]) -> Card:
    """The reviewers' queue in the personal chat, each with its own buttons."""
    if not reviews:
        return _card([_text("No reviews are waiting.", weight="Bolder")])
    body: list[dict[str, Any]] = [_text(f"Waiting for review ({len(reviews)})", weight="Bolder")]
    for review in reviews[:10]:
        body += [_text(f"**{review.name}** from {review.requester_name or review.requester}, "
                       f"{review.requested_at:%Y-%m-%d}", separator=True),
                 {**_comment_input(), "id": f"comment-{review.id}"},
                 {"type": "ActionSet", "actions": [
                     {**action, "data": {**action["data"], "input": f"comment-{review.id}"}}
                     for action in decision_actions(review)]}]
    return _card(body)


def decided(review: Review) -> Card:
    """The requester's notice of a decision; Run the check again after changes."""
    body = [_text(f"{review.decided_by_name or review.decided_by} {VERBS[review.state]} your "
                  f"OSPO review of **{review.name}**.", weight="Bolder")]
    if review.comment:
        body.append(_text(f"> {review.comment}"))
    actions = None
    if review.state is ReviewState.CHANGES_REQUESTED:
        body.append(_text("Run the check again with your previous answers as defaults; when "
                          "it is done, the review goes back to the reviewers."))
        actions = [_submit("Run the check again", {"ocb": RERUN, "review": review.id,
                                                    "owner": review.requester}, "positive")]
    if review.state is ReviewState.APPROVED and review.rereview_due:
        body.append(_text(f"I will remind you to check again on {review.rereview_due:%Y-%m-%d}.",
                          isSubtle=True))
    return _card(body, actions)


def chase(review: Review, days: int) -> Card:
    """The daily nudge in the review channel."""
    return _card([_text(f"\u23f3 The OSPO review of **{review.name}**, requested by "
                        f"{review.requester_name or review.requester}, has been waiting for "
                        f"{days} days.")])


def rereview(review: Review) -> Card:
    """The reminder on the re-review date."""
    return _card([_text(f"Time to check **{review.name}** again: the OSPO approved it on "
                        f"{review.decided_at:%Y-%m-%d} and asked for a re-check by "
                        f"{review.rereview_due:%Y-%m-%d}. Type **start** to run the check.")])


def gone(review: Review) -> Card:
    """A review whose check was purged or erased: the state, without the check's details."""
    return _card([_text(f"OSPO review: {review.name}", weight="Bolder"), _state(review)])


def note(text: str) -> Card:
    """A short note of the review flow's own, as a card (for proactive messages)."""
    return _card([_text(text)])
