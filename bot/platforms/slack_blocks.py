"""Block Kit rendering of the neutral replies, built with slack_sdk's models (which check limits).

Every message carries a meaningful plain `text`: Slack shows it in notifications and screen
readers read it. Action ids and button values are the contract with `slack.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.outcomes import (
    FLAG_TITLES,
    GOVERNANCE_MEANINGS,
    GOVERNANCE_TITLES,
    PATH_MEANINGS,
    PATH_TITLES,
    Recommendation,
)
from bot.core.replies import AskQuestion, Closed, Notice
from bot.store.base import HistoryEntry

COMMAND = "/opensource-check"
SECTION_LIMIT = 3000
HELP = (f"*{COMMAND}* starts a check in a direct message with me (or resumes yours).\n"
        f"`{COMMAND} history` lists your recent results, `{COMMAND} restart` starts over, "
        f"`{COMMAND} cancel` stops the open check, `{COMMAND} help` shows this.\n"
        "In our DM, answer with the buttons or type a number or an answer; type back, restart, "
        "cancel or help at any time.")


@dataclass(frozen=True, slots=True)
class Message:
    """A message's fallback text and its blocks, validated and ready for the Web API."""

    text: str
    blocks: list[dict[str, Any]]

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for chat.postMessage, chat.update and friends."""
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Slack's three control characters, so flow texts never turn into links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _render(text: str, blocks: list[Block]) -> Message:
    return Message(text=text, blocks=[block.to_dict() for block in blocks])


def _section(markdown: str) -> SectionBlock:
    if len(markdown) > SECTION_LIMIT:
        markdown = markdown[: SECTION_LIMIT - 1] + "\u2026"
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def _context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=markdown[:SECTION_LIMIT])])


LABEL_LIMIT = 75  # Slack's limit for a button's accessibility_label
DESCRIBED = {  # what screen readers say for buttons whose text alone is ambiguous
    "help": "Why we ask this question", "back": "Back to the previous question",
    "cancel": "Cancel this check", "post_summary": "Post a summary of this result to the channel",
    "start_over": "Start a new check from the first question"}


def _button(label: str, action_id: str, value: str, style: str | None = None,
            described: str | None = None) -> ButtonElement:
    described = described or DESCRIBED.get(action_id)
    return ButtonElement(text=PlainTextObject(text=label, emoji=True), action_id=action_id,
                         value=value, style=style,
                         accessibility_label=described[:LABEL_LIMIT] if described else None)


def answer_label(label: str, prompt: str) -> str:
    """An answer button's accessible name: the answer and the question it answers."""
    return f"{label}, answer to: {prompt}"[:LABEL_LIMIT]


def answer_value(ref: str, option: str) -> str:
    """What an answer button carries: the step's ref and the option id."""
    return f"{ref}|{option}"


def question(reply: AskQuestion) -> Message:
    """One question: prompt, a button per option, why-we-ask, back, cancel, and progress."""
    q = reply.question
    answers = [_button(o.label, f"answer:{o.id}", answer_value(reply.ref, o.id),
                       "primary" if o.id == reply.previous else None,
                       answer_label(o.label, q.prompt)) for o in q.options]
    controls = [_button("Why we ask", "help", reply.ref)]
    if reply.can_go_back:
        controls.append(_button("Back", "back", reply.ref))
    controls.append(_button("Cancel", "cancel", reply.ref, "danger"))
    numbered = "  ".join(f"{i}. {o.label}" for i, o in enumerate(q.options, start=1))
    return _render(f"{reply.progress}: {q.prompt} ({numbered})", [
        _section(f"*{escape(q.prompt)}*"),
        ActionsBlock(block_id=f"answers:{q.id}", elements=answers),
        ActionsBlock(block_id="controls", elements=controls),
        _context(f"{reply.progress} \u00b7 {q.block.value} \u00b7 or type a number"),
    ])


def closed(reply: Closed) -> Message:
    """A settled question: the prompt and the chosen answer, with no buttons left."""
    return _render(f"{reply.prompt} \u2014 {reply.note}", [
        _section(f"*{escape(reply.prompt)}*"), _context(f"\u2714 {escape(reply.note)}")])


def notice(reply: Notice) -> Message:
    """A short message; errors and stale clicks get a marker so they stand out."""
    marker = {"info": "", "error": ":warning: ", "stale": ":hourglass: "}[reply.level]
    return _render(reply.text, [_section(marker + escape(reply.text))])


def note(markdown: str) -> Message:
    """A note of the edge's own, in mrkdwn (mentions and channel links stay live)."""
    return _render(markdown, [_section(markdown)])


def _titled(title: str, meaning: str) -> str:
    return f"*{escape(title)}*: {escape(meaning)}"


def _meaning_lines(rec: Recommendation) -> str:
    lines = [_titled(PATH_TITLES[rec.path], PATH_MEANINGS[rec.path]),
             _titled(GOVERNANCE_TITLES[rec.governance], GOVERNANCE_MEANINGS[rec.governance])]
    if rec.target_governance is not None:
        later = rec.target_governance
        lines.append(_titled(f"Later, in public: {GOVERNANCE_TITLES[later]}",
                             GOVERNANCE_MEANINGS[later]))
    return "\n".join(lines)


def _detail_sections(rec: Recommendation) -> list[Block]:
    blocks: list[Block] = [
        _section("*Why*\n" + "\n".join(f"\u2022 {escape(r.reason)}" for r in rec.rationale))]
    if rec.flag_notes:
        blocks.append(_section("*Flags*\n" + "\n".join(
            f":warning: *{FLAG_TITLES[n.flag]}*: {escape(n.action)}" for n in rec.flag_notes)))
    blocks.append(_section("*Next steps*\n" + "\n".join(
        f"{i}. {escape(step)}" for i, step in enumerate(rec.next_steps, start=1))))
    if rec.what_would_change:
        blocks.append(_section("*What would change it*\n" + "\n".join(
            f"\u2022 {escape(c.said)} \u2192 {PATH_TITLES[c.path]}, "
            f"{GOVERNANCE_TITLES[c.governance]}" for c in rec.what_would_change.all)))
    if rec.learn_more:
        links = " \u00b7 ".join(f"<{link.url}|{escape(link.title)}>" for link in rec.learn_more)
        blocks.append(_context(f"Learn more: {links}"))
    return blocks


def post_value(runner: str, channel: str | None, answers: dict[str, str]) -> str:
    """What the post-summary button carries: who ran the check, the default channel, answers."""
    return json.dumps({"u": runner, "c": channel, "a": answers}, separators=(",", ":"))


def result(rec: Recommendation, *, runner: str, answers: dict[str, str],
           summary_channel: str | None, review_months: int) -> Message:
    """The whole recommendation, with actions: post to a channel, start over, remind me."""
    picker = ConversationSelectElement(
        action_id="summary_channel", placeholder="Channel for the summary",
        initial_conversation=summary_channel,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True))
    actions = ActionsBlock(block_id="result", elements=[
        picker, _button("Post summary", "post_summary",
                        post_value(runner, summary_channel, answers), "primary"),
        _button("Start over", "start_over", "start"),
        _button(f"Remind me in {review_months} months", "remind", str(review_months))])
    return _render(f"Recommendation: {rec.headline}", [
        HeaderBlock(text=PlainTextObject(text=PATH_TITLES[rec.path][:150])),
        _section(_meaning_lines(rec)), *_detail_sections(rec), DividerBlock(), actions])


def summary(rec: Recommendation, runner: str) -> Message:
    """The compact summary posted to a channel: who ran it, the result, the key reasons."""
    reasons = "\n".join(f"\u2022 {escape(r.reason)}" for r in rec.rationale[:3])
    blocks: list[Block] = [_section(f"<@{runner}> ran an opensource-check: *{rec.headline}*"),
                           _section(_meaning_lines(rec)), _section(f"*Why*\n{reasons}")]
    if rec.flags:
        blocks.append(_context("Flags: " + ", ".join(FLAG_TITLES[f] for f in rec.flags)))
    blocks.append(_context(f"Run `{COMMAND}` to check your own code."))
    return _render(f"<@{runner}> ran an opensource-check: {rec.headline}", blocks)


def cannot_post(channel: str, error: str) -> str:
    """Why a summary could not be posted, and how to fix it; the check itself is kept."""
    if error == "is_archived":
        why = f"<#{channel}> is archived."
        fix = "Pick another channel and press *Post summary* again."
    else:
        why = f"I am not a member of <#{channel}>, or I cannot see it."
        fix = (f"Type `/invite @opensource-check` in <#{channel}>, then press *Post summary* "
               "again (or pick another channel).")
    return f"I could not post the summary: {why} {fix} Nothing is lost."


def _history_lines(entries: list[HistoryEntry]) -> str:
    return "\n".join(f"\u2022 {e.completed_at:%Y-%m-%d}: *{e.recommendation.headline}*"
                     for e in entries)


def history(entries: list[HistoryEntry]) -> str:
    """The user's recent results, as an ephemeral reply."""
    if not entries:
        return f"You have no finished checks yet. Type `{COMMAND}` to start one."
    return "*Your recent checks*\n" + _history_lines(entries)


def home(entries: list[HistoryEntry], intro: str) -> dict[str, Any]:
    """The App Home tab: what the app does, a start button, and the user's recent checks."""
    recent = _history_lines(entries) if entries else "No checks yet."
    view = View(type="home", blocks=[
        HeaderBlock(text=PlainTextObject(text="opensource-check")),
        _section(escape(intro)),
        ActionsBlock(block_id="home", elements=[
            _button("Start a check", "home_start", "start", "primary")]),
        DividerBlock(), _section(f"*Your recent checks*\n{recent}")])
    return view.to_dict()


def reminder(due: datetime, *, rearm: bool) -> Message:
    """The scheduled reminder; when Slack cannot schedule that far, it offers to re-arm."""
    text = (f"Time to re-check your code with {COMMAND}: the advice is due for review on "
            f"{due:%Y-%m-%d}.")
    buttons = [_button("Start a check", "home_start", "start", "primary")]
    if rearm:
        text = f"Your opensource-check is due for review on {due:%Y-%m-%d}."
        buttons.append(_button("Remind me on the day", "remind_at", str(int(due.timestamp()))))
    return _render(text, [_section(text), ActionsBlock(block_id="reminder", elements=buttons)])


def started_note(sub: str, channel: str) -> str:
    """The ephemeral answer to the slash command in the channel where it was typed."""
    if sub == "cancel":
        return "Your open check, if you had one, is cancelled."
    note = "Starting over in our direct messages." if sub == "restart" else \
        "Your check is waiting in our direct messages (Apps \u203a opensource-check)."
    if channel and not channel.startswith("D"):
        note += f" When it is done I will offer to post the summary in <#{channel}>."
    return note
