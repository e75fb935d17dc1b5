"""Block Kit rendering of the neutral replies, built with slack_sdk's models (which check limits).

Every message carries a meaningful plain `text`: Slack shows it in notifications and screen
readers read it. Action ids and button values are the contract with `slack.py`.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.answers import chosen
from bot.core.flow import Question
from bot.core.outcomes import AnswerValue, Recommendation
from bot.core.replies import AskQuestion, Closed, Notice
from bot.report import Report
from bot.store.base import HistoryEntry

COMMAND = "/opensource-check"
SECTION_LIMIT = 3000
MESSAGE_BLOCKS = 50  # Slack's limit for one message
TICKS = "ticks"  # the checkboxes of a question that takes several answers
CONTINUE = "continue"  # the button that submits the ticked boxes
HELP = (f"*{COMMAND}* starts a check in a direct message with me (or resumes yours).\n"
        f"`{COMMAND} history` lists your recent results, `{COMMAND} restart` starts over, "
        f"`{COMMAND} cancel` stops the open check, `{COMMAND} help` shows this.\n"
        "In our DM, answer with the buttons or type a number or an answer (several, like `1, 3`, "
        "where the question takes several); type back, restart, cancel or help at any time.")


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


def _checkboxes(reply: AskQuestion) -> CheckboxesElement:
    q = reply.question
    options = [Option(value=o.id, text=PlainTextObject(text=o.label),
                      description=PlainTextObject(text=o.description) if o.description else None)
               for o in q.options]
    earlier = chosen(reply.previous)
    return CheckboxesElement(action_id=TICKS, options=options,
                             initial_options=[o for o in options if o.value in earlier] or None)


# Building and validating the slack_sdk models costs more than the rest of a turn's own work,
# and a question looks the same for everyone at the same step but for the ref its buttons carry.
# So each shape (question, progress, earlier answer, back or not) is built and validated once
# with a stand-in ref, and each turn copies it with its own ref in the buttons' values. The
# stand-in is longer than any ref (a conversation id is at most 64 characters), so Slack's
# length limits are checked against a value at least as long as the real one.
_REF_SLOT = "<ref>" * 20
_SHAPES = 256
_questions: OrderedDict[tuple[object, ...], tuple[Question, Message]] = OrderedDict()


def question(reply: AskQuestion) -> Message:
    """One question: prompt, a button per option (or checkboxes and Continue when several may
    be ticked), why-we-ask, back, cancel, and progress."""
    previous = reply.previous
    key = (id(reply.question), reply.progress.index, reply.progress.total, reply.can_go_back,
           previous if previous is None or isinstance(previous, str) else tuple(previous))
    hit = _questions.get(key)
    if hit is None or hit[0] is not reply.question:  # the entry keeps its question: ids stay
        hit = (reply.question, _question(reply, _REF_SLOT))
        _questions[key] = hit
        if len(_questions) > _SHAPES:
            _questions.popitem(last=False)
    shape = hit[1]
    return Message(text=shape.text, blocks=[_with_ref(block, reply.ref) for block in shape.blocks])


def _with_ref(node: Any, ref: str) -> Any:
    """A copy of rendered blocks with `ref` in the buttons' values (the only place it goes)."""
    if isinstance(node, dict):
        return {key: value.replace(_REF_SLOT, ref) if key == "value" and isinstance(value, str)
                else _with_ref(value, ref) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_ref(item, ref) for item in node]
    return node


def _question(reply: AskQuestion, ref: str) -> Message:
    q = reply.question
    numbered = "  ".join(f"{i}. {o.label}" for i, o in enumerate(q.options, start=1))
    if q.multiple:
        shown: list[Block] = [
            _section(f"*{escape(q.prompt)}*"),
            ActionsBlock(block_id=f"{TICKS}:{q.id}", elements=[_checkboxes(reply)]),
            ActionsBlock(block_id=f"answers:{q.id}", elements=[_button(
                "Continue", CONTINUE, ref, "primary",
                f"Continue with the ticked answers to: {q.prompt}")])]
        typed = "or type numbers, like 1, 3 (none: tick nothing)"
    else:
        answers = [_button(o.label, f"answer:{o.id}", answer_value(ref, o.id),
                           "primary" if o.id == reply.previous else None,
                           answer_label(o.label, q.prompt)) for o in q.options]
        shown = [_section(f"*{escape(q.prompt)}*"),
                 ActionsBlock(block_id=f"answers:{q.id}", elements=answers)]
        typed = "or type a number"
    controls = [_button("Why we ask", "help", ref)]
    if reply.can_go_back:
        controls.append(_button("Back", "back", ref))
    controls.append(_button("Cancel", "cancel", ref, "danger"))
    return _render(f"{reply.progress}: {q.prompt} ({numbered})", [
        *shown, ActionsBlock(block_id="controls", elements=controls),
        _context(f"{reply.progress} \u00b7 {q.block.heading} \u00b7 {typed}"),
    ])


def closed(reply: Closed) -> Message:
    """A settled question: the prompt and the chosen answer, with no buttons left."""
    return _closed(reply.prompt, reply.note, reply.answered)


@functools.lru_cache(maxsize=_SHAPES)  # the same few prompts and answers for everyone
def _closed(prompt: str, note: str, answered: bool) -> Message:
    mark = "\u2714 " if answered else ""
    return _render(f"{prompt} \u2014 {note}", [
        _section(f"*{escape(prompt)}*"), _context(f"{mark}{escape(note)}")])


def notice(reply: Notice) -> Message:
    """A short message; errors and stale clicks get a marker so they stand out."""
    marker = {"info": "", "error": ":warning: ", "stale": ":hourglass: "}[reply.level]
    return _render(reply.text, [_section(marker + escape(reply.text))])


def note(markdown: str) -> Message:
    """A note of the edge's own, in mrkdwn (mentions and channel links stay live)."""
    return _render(markdown, [_section(markdown)])


def _titled(title: str, meaning: str) -> str:
    return f"*{escape(title)}*: {escape(meaning)}"


def _meaning_lines(report: Report) -> str:
    lines = [_titled(report.path.title, report.path.meaning),
             _titled(report.governance.title, report.governance.meaning)]
    if report.later is not None:
        lines.append(_titled(f"Later, in public: {report.later.title}", report.later.meaning))
    return "\n".join(lines)


def _link(url: str, title: str) -> str:
    return f"<{url}|{escape(title)}>"


def _sections(title: str, lines: list[str]) -> list[Block]:
    """A titled list in as few sections as Slack's 3000-character limit allows."""
    blocks: list[Block] = []
    current = f"*{title}*"
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(_section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(_section(current))
    return blocks


def _detail_sections(report: Report) -> list[Block]:
    """Conflicts, flags with their actions and links, next steps, what would change, why,
    evidence and further reading: in that order, each only when there is something to say."""
    blocks: list[Block] = []
    if report.conflicts:
        blocks += _sections(":left_right_arrow: Conflicts to decide", [
            f"\u2022 {escape(c.summary)} *Decide:* {escape(c.decide)}" for c in report.conflicts])
    if report.flags:
        blocks += _sections("Flags", [
            f":warning: *{escape(f.title)}*: {escape(f.action)}"
            + (" " + " \u00b7 ".join(_link(k.url, k.title) for k in f.links) if f.links else "")
            for f in report.flags])
    blocks += _sections("Next steps", [f"{i}. {escape(step)}"
                                       for i, step in enumerate(report.next_steps, start=1)])
    for title, items in report.changes:
        blocks += _sections(title, [f"\u2022 {escape(item)}" for item in items])
    blocks += _sections("Why", [f"\u2022 {escape(r)}" for r in report.reasons])
    if report.evidence:
        blocks += _sections("Evidence used", [f"\u2022 {escape(e)}" for e in report.evidence])
    if report.learn_more:
        links = " \u00b7 ".join(_link(k.url, k.title) for k in report.learn_more)
        blocks.append(_context(f"Learn more: {links}"))
    return blocks


def _fit(blocks: list[Block], room: int) -> list[Block]:
    """At most `room` blocks: the rest is cut with a pointer to the full report."""
    if len(blocks) <= room:
        return blocks
    return [*blocks[: room - 1], _context("More in `/opensource-check history` and "
                                          "`opensource-check assess --format markdown`.")]


def post_value(runner: str, channel: str | None, answers: dict[str, AnswerValue]) -> str:
    """What the post-summary button carries: who ran the check, the default channel, answers."""
    return json.dumps({"u": runner, "c": channel, "a": answers}, separators=(",", ":"))


def result(rec: Recommendation, report: Report, *, runner: str,
           answers: dict[str, AnswerValue], summary_channel: str | None,
           review_months: int) -> Message:
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
    details = _fit(_detail_sections(report), MESSAGE_BLOCKS - 4)
    return _render(f"Recommendation: {rec.headline}", [
        HeaderBlock(text=PlainTextObject(text=report.path.title[:150])),
        _section(_meaning_lines(report)), *details, DividerBlock(), actions])


def summary(report: Report, runner: str) -> Message:
    """The summary posted to a channel: who ran it, the result, conflicts, flags with their
    actions and links, next steps and what would change."""
    blocks: list[Block] = [_section(f"<@{runner}> ran an opensource-check: *{report.headline}*"),
                           _section(_meaning_lines(report))]
    blocks += _fit(_detail_sections(report), MESSAGE_BLOCKS - 3)
    blocks.append(_context(f"Run `{COMMAND}` to check your own code."))
    return _render(f"<@{runner}> ran an opensource-check: {report.headline}", blocks)


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
