"""Block Kit for OSPO reviews: the offer under a result, the modals, the review card in the
review channel, the requester's notices and the App Home sections. Action ids and callback ids
are the contract with `review.py`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.flow import FlowDefinition
from bot.core.outcomes import FLAG_TITLES, GOVERNANCE_TITLES, PATH_TITLES
from bot.core.reviews import MAX_COMMENT, MAX_NAME, STATE_TITLES, Review, ReviewState
from bot.platforms.slack.blocks import Message, escape
from bot.records import answer_text
from bot.store.base import HistoryEntry

REQUEST = "review_request"
RECORD = "review_record"
RERUN = "review_rerun"
DECIDE = {"review_approve": ReviewState.APPROVED,
          "review_changes": ReviewState.CHANGES_REQUESTED,
          "review_decline": ReviewState.DECLINED}
REQUEST_MODAL = "review_request_modal"
DECISION_MODAL = "review_decision_modal"
NAME_BLOCK, NAME_INPUT = "review_name", "name"
COMMENT_BLOCK, COMMENT_INPUT = "review_comment", "comment"
SECTION_LIMIT = 2900
DECISION_VERBS = {ReviewState.APPROVED: "approved", ReviewState.CHANGES_REQUESTED:
                  "asked for changes to", ReviewState.DECLINED: "declined"}
STATE_MARKS = {ReviewState.PENDING: ":hourglass:", ReviewState.APPROVED: ":white_check_mark:",
               ReviewState.CHANGES_REQUESTED: ":pencil2:", ReviewState.DECLINED: ":no_entry:"}


def _section(markdown: str) -> SectionBlock:
    if len(markdown) > SECTION_LIMIT:
        markdown = markdown[: SECTION_LIMIT - 1] + "\u2026"
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def _context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=markdown[:SECTION_LIMIT])])


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=label), action_id=action_id, value=value,
                         style=style)


def _render(text: str, blocks: Sequence[Block]) -> Message:
    return Message(text=text, blocks=[block.to_dict() for block in blocks])


def offer(check_id: str, *, needed: bool, ospo: str) -> Message:
    """Under a result: request the review the policy asks for, and the decision record."""
    buttons = [_button("Decision record", RECORD, check_id)]
    if needed:
        buttons.insert(0, _button("Request OSPO review", REQUEST, check_id, "primary"))
        text = (f"Your company's policy asks {ospo} to review this outcome before you go ahead. "
                f"Check `{check_id}`.")
    else:
        text = f"No review needed for this outcome. Check `{check_id}`."
    return _render(text, [_section(escape(text).replace("`", "")),
                          ActionsBlock(block_id="review_offer", elements=buttons)])


def request_modal(check_id: str, name: str = "") -> dict[str, Any]:
    """Ask for the code's short name or repository URL before the review card is posted."""
    field = PlainTextInputElement(action_id=NAME_INPUT, initial_value=name or None,
                                  max_length=MAX_NAME,
                                  placeholder="payments-sdk or https://git.example.com/team/repo")
    return View(type="modal", callback_id=REQUEST_MODAL, private_metadata=check_id,
                title="Request OSPO review", submit="Request", close="Cancel", blocks=[
                    _section("Which code is this about? The reviewers see this name."),
                    InputBlock(block_id=NAME_BLOCK, label="Name or repository URL",
                               element=field)]).to_dict()


def decision_modal(review: Review, decision: ReviewState) -> dict[str, Any]:
    """Confirm a decision, with an optional comment for the requester."""
    comment = PlainTextInputElement(action_id=COMMENT_INPUT, multiline=True,
                                    max_length=MAX_COMMENT)
    metadata = json.dumps({"r": review.id, "d": decision.value}, separators=(",", ":"))
    title = {ReviewState.APPROVED: "Approve", ReviewState.CHANGES_REQUESTED: "Request changes",
             ReviewState.DECLINED: "Decline"}[decision]
    return View(type="modal", callback_id=DECISION_MODAL, private_metadata=metadata,
                title=title, submit=title, close="Cancel", blocks=[
                    _section(f"*{escape(review.name)}*, requested by <@{review.requester}>"),
                    InputBlock(block_id=COMMENT_BLOCK, label="Comment for the requester",
                               element=comment, optional=True)]).to_dict()


def _outcome_lines(entry: HistoryEntry) -> list[str]:
    rec = entry.recommendation
    lines = [f"*Path:* {PATH_TITLES[rec.path]}",
             f"*Governance:* {GOVERNANCE_TITLES[rec.governance]}"
             + (f" (later: {GOVERNANCE_TITLES[rec.target_governance]})"
                if rec.target_governance else "")]
    if rec.flags:
        lines.append("*Flags:* " + ", ".join(FLAG_TITLES[f] for f in rec.flags))
    lines += [f"*Conflict:* {escape(c.summary)}" for c in rec.conflicts]
    return lines


def _answers(entry: HistoryEntry, flow: FlowDefinition) -> str:
    said = [answer_text(flow, question, answer) for question, answer in entry.answers.items()]
    return "\n".join(f"\u2022 {escape(prompt)} *{escape(label)}*" for prompt, label in said)


def _decision_line(review: Review) -> str:
    mark = STATE_MARKS[review.state]
    if review.state is ReviewState.PENDING:
        return f"{mark} *{STATE_TITLES[review.state]}*"
    when = f"{review.decided_at:%Y-%m-%d %H:%M} UTC" if review.decided_at else ""
    line = f"{mark} *{STATE_TITLES[review.state]}* by <@{review.decided_by}> on {when}"
    return line + (f"\n> {escape(review.comment)}" if review.comment else "")


def decision_buttons(review: Review) -> ActionsBlock:
    """Approve, request changes, decline: on the card and in the App Home queue."""
    return ActionsBlock(block_id=f"decide:{review.id}", elements=[
        _button("Approve", "review_approve", review.id, "primary"),
        _button("Request changes", "review_changes", review.id),
        _button("Decline", "review_decline", review.id, "danger")])


def card(review: Review, entry: HistoryEntry, flow: FlowDefinition) -> Message:
    """The review card in the review channel; buttons only while it waits for a decision."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"OSPO review: {review.name}"[:150])),
        _section(f"<@{review.requester}> asks for a review of check `{review.check_id}` "
                 f"({review.requested_at:%Y-%m-%d})."),
        _section("\n".join(_outcome_lines(entry))),
        _section("*Answers*\n" + _answers(entry, flow)),
        DividerBlock(), _section(_decision_line(review))]
    if review.state is ReviewState.PENDING:
        blocks.append(decision_buttons(review))
    blocks.append(_context(f"Review `{review.id}` \u00b7 only the OSPO reviewers can decide"))
    return _render(f"OSPO review of {review.name}: {STATE_TITLES[review.state]} "
                   f"({entry.recommendation.headline})", blocks)


def requested(review: Review, channel: str) -> Message:
    """The requester's confirmation."""
    text = (f"Requested an OSPO review of *{escape(review.name)}*: the reviewers see it in "
            f"<#{channel}>. I will tell you here when they decide.")
    return _render(text, [_section(text)])


def decided(review: Review) -> Message:
    """The requester's notice of a decision, with the comment; a re-run for changes."""
    text = (f"<@{review.decided_by}> {DECISION_VERBS[review.state]} your OSPO review of "
            f"*{escape(review.name)}*.")
    blocks: list[Block] = [_section(text)]
    if review.comment:
        blocks.append(_section(f"> {escape(review.comment)}"))
    if review.state is ReviewState.CHANGES_REQUESTED:
        blocks.append(_section("Run the check again with your previous answers as defaults; "
                               "when it is done, the review goes back to the reviewers."))
        blocks.append(ActionsBlock(block_id="review_rerun", elements=[
            _button("Run the check again", RERUN, review.id, "primary")]))
    if review.state is ReviewState.APPROVED and review.rereview_due:
        blocks.append(_context(f"I will remind you to check again on "
                               f"{review.rereview_due:%Y-%m-%d}."))
    return _render(text, blocks)


def re_requested(review: Review) -> Message:
    """The requester's notice that the new check went back to the reviewers."""
    text = (f"Your new check `{review.check_id}` is linked to the OSPO review of "
            f"*{escape(review.name)}*, which is waiting for the reviewers again.")
    return _render(text, [_section(text)])


def chase(review: Review, days: int) -> Message:
    """The daily nudge in the review channel for a review waiting too long."""
    text = (f":hourglass: The OSPO review of *{escape(review.name)}*, requested by "
            f"<@{review.requester}>, has been waiting for {days} days.")
    return _render(text, [_section(text), decision_buttons(review)])


def rereview(review: Review) -> Message:
    """The reminder, on the re-review date, to check an approved decision again."""
    text = (f"Time to check *{escape(review.name)}* again: the OSPO approved it on "
            f"{review.decided_at:%Y-%m-%d} and asked for a re-check by "
            f"{review.rereview_due:%Y-%m-%d}.")
    return _render(text, [_section(text), ActionsBlock(block_id="rereview", elements=[
        _button("Start a check", "home_start", "start", "primary")])])


def record(markdown: str) -> Message:
    """The decision record, in code blocks to copy next to the code."""
    chunks = [markdown[i:i + SECTION_LIMIT - 8] for i in range(0, len(markdown),
                                                                 SECTION_LIMIT - 8)]
    return _render("Decision record", [_section(f"```{chunk}```") for chunk in chunks][:40])


def home_sections(mine: list[tuple[HistoryEntry, Review | None]],
                  queue: list[Review] | None) -> list[dict[str, Any]]:
    """App Home: "My checks" with review status; for reviewers, the waiting queue."""
    lines = [f"\u2022 {entry.completed_at:%Y-%m-%d} *{entry.recommendation.headline}* \u2014 "
             + (f"{STATE_MARKS[r.state]} {STATE_TITLES[r.state]} ({escape(r.name)})" if r
                else "not reviewed") for entry, r in mine]
    blocks: list[Block] = [DividerBlock(), _section("*My checks*\n" + (
        "\n".join(lines) if lines else "No checks yet."))]
    if queue is not None:
        blocks += [DividerBlock(), _section(f"*Waiting for review* ({len(queue)})")]
        for review in queue[:20]:
            blocks += [_section(f"*{escape(review.name)}* from <@{review.requester}>, "
                                f"{review.requested_at:%Y-%m-%d}"), decision_buttons(review)]
    return [block.to_dict() for block in blocks]


def only_reviewers() -> Message:
    """What anyone else who presses a decision button sees, privately."""
    text = "Only the OSPO reviewers can decide; nothing changed."
    return _render(text, [_section(f":lock: {text}")])


def note(text: str) -> Message:
    """A short note of the review flow's own."""
    return _render(text, [_section(text)])
