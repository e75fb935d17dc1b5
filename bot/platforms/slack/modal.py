"""The global shortcut "Run an opensource-check": a modal that walks the flow one question per view.

The modal's check is a conversation in the store like the DM's, keyed by the user (and org or
workspace) with "modal" as its place, so it survives restarts and replicas. Every view carries the
conversation's ref in `private_metadata`: a click in an old view (a second window, or one left
open after the check moved on) is stale, changes nothing, and that view is brought up to date
with a polite note. Views are replaced with views.update and the hash Slack gave the view, so an
update never overwrites a newer one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Advisor, Context, Turn
from bot.core.answers import chosen
from bot.core.conversation import CANCELLED, Conversation, Inbound
from bot.core.replies import AskQuestion, Notice
from bot.platforms.repeats import without_repeat
from bot.platforms.slack import blocks
from bot.platforms.slack.dialogue import PLACES, Who
from bot.platforms.slack.function import Spawn
from bot.report import build
from bot.store.base import ConversationKey

log = logging.getLogger(__name__)

SHORTCUT = "opensource_check"
CALLBACK = "opensource_check_modal"
CHOICES = "modal_choices"
BUSY = ("I am busy right now and did not take that in; nothing changed. Run the shortcut again "
        "in a moment to continue where you were.")
GONE = frozenset({"hash_conflict", "not_found", "view_not_found"})  # a newer view, or closed

WhoOf = Callable[[AsyncBoltContext, dict[str, Any]], Who | None]


def modal_key(who: Who) -> ConversationKey:
    """One modal check per user, beside (not instead of) their DM check."""
    return ConversationKey("slack", who.team, "modal", who.user)


def _button(label: str, action_id: str, value: str, *, style: str | None = None,
            described: str | None = None) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=label, emoji=True), action_id=action_id,
                         value=value, style=style,
                         accessibility_label=described[: blocks.LABEL_LIMIT] if described else None)


def _section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=markdown[: blocks.SECTION_LIMIT]))


def _notes(notices: list[Notice]) -> list[Block]:
    marks = {"info": "", "error": ":warning: ", "stale": ":hourglass: "}
    return [ContextBlock(elements=[MarkdownTextObject(
        text=(marks[n.level] + blocks.escape(n.text))[: blocks.SECTION_LIMIT])])
        for n in notices]


def question_blocks(reply: AskQuestion) -> list[Block]:
    """One question: buttons (or checkboxes and Continue when several answers may be ticked),
    then Back and Cancel. Every button's accessible name says which question it answers."""
    q = reply.question
    progress = f"{reply.progress} \u00b7 {q.block.heading}"
    shown: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=progress)]),
                          _section(f"*{blocks.escape(q.prompt)}*")]
    if q.multiple:
        options = [Option(value=o.id, text=PlainTextObject(text=o.label),
                          description=PlainTextObject(text=o.description) if o.description
                          else None) for o in q.options]
        ticked = chosen(reply.previous)
        shown.append(ActionsBlock(block_id=CHOICES, elements=[CheckboxesElement(
            action_id=CHOICES, options=options,
            initial_options=[o for o in options if o.value in ticked] or None)]))
        answers = [_button("Continue", "modal_continue", "continue", style="primary",
                           described=f"Continue with the ticked answers to: {q.prompt}")]
    else:
        answers = [_button(o.label, f"modal_answer:{o.id}", o.id,
                           style="primary" if o.id == reply.previous else None,
                           described=blocks.answer_label(o.label, q.prompt)) for o in q.options]
    shown.append(ActionsBlock(block_id=f"answers:{q.id}", elements=answers))
    controls = [_button("Cancel check", "modal_cancel", "cancel", style="danger",
                        described="Cancel this check")]
    if reply.can_go_back:
        controls.insert(0, _button("Back", "modal_back", "back",
                                   described="Back to the previous question"))
    shown.append(ActionsBlock(block_id="controls", elements=controls))
    return shown


def _restart_button(label: str) -> ButtonElement:
    return _button(label, "modal_restart", "start", style="primary",
                   described="Start a new opensource-check in this window")


def _in_the_modal(result: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The DM result's blocks, with Start over starting over here rather than in the DM."""
    for block in result:
        for element in block.get("elements", []):
            if element.get("action_id") == "start_over":
                element.update(_restart_button("Start over").to_dict())
    return result


class Modal:
    """The shortcut's listeners: ack at once, then run the turn and replace the view."""

    def __init__(self, advisor: Advisor, spawn: Spawn, who_of: WhoOf) -> None:
        self.advisor = advisor
        self.spawn = spawn
        self.who_of = who_of

    def register(self, bolt: AsyncApp) -> None:
        """Attach the shortcut's and the modal's listeners to the bolt app."""
        bolt.shortcut(SHORTCUT)(self.on_shortcut)
        bolt.action(re.compile(r"^modal_(answer:.+|back|cancel|continue|restart)$"))(
            self.on_click)
        bolt.action(CHOICES)(self.on_tick)

    async def on_shortcut(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          context: AsyncBoltContext) -> None:
        await ack()
        who, trigger = self.who_of(context, body), body.get("trigger_id")
        if who is not None and isinstance(trigger, str):
            self._later(self.open(client, who, trigger),
                        lambda: client.views_open(trigger_id=trigger, view=busy_view()))

    async def on_click(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext) -> None:
        await ack()
        who, view = self.who_of(context, body), body.get("view")
        if who is None or not isinstance(view, dict):
            return
        action = body["actions"][0]
        inbound = _inbound(action["action_id"], str(view.get("private_metadata", "")), view)
        event = f"slack:{body.get('trigger_id')}" if body.get("trigger_id") else None
        self._later(self.click(client, who, inbound, view, event),
                    lambda: client.views_update(view_id=view.get("id"), view=busy_view()))

    def _later(self, work: Coroutine[Any, Any, None],
               busy: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Run the work after the ack; too busy, show the user so in the modal instead."""
        if self.spawn(work, "slack modal"):
            return
        notice = _quietly(busy())
        if not self.spawn(notice, "slack modal busy", notice=True):
            notice.close()

    async def on_tick(self, ack: AsyncAck) -> None:
        await ack()  # the ticks are read from the view's state when Continue is pressed

    async def open(self, client: AsyncWebClient, who: Who, trigger: str) -> None:
        """Open the modal at the user's modal check: resumed if open, else a new one."""
        turn = await self.advisor.start(modal_key(who), self._context(who), f"slack:{trigger}")
        if not turn.duplicate:
            await client.views_open(trigger_id=trigger, view=await self.view(who, turn))

    async def click(self, client: AsyncWebClient, who: Who, inbound: Inbound | None,
                    view: dict[str, Any], event: str | None) -> None:
        """Apply a click in the modal and show where the check stands now in that view."""
        key = modal_key(who)
        if inbound is None:  # Start a new check
            turn = await self.advisor.start(key, self._context(who), event)
        else:
            turn = without_repeat(await self.advisor.handle(key, inbound, self._context(who),
                                                            event), inbound)
        if turn.duplicate:
            return
        try:
            await client.views_update(view_id=view.get("id"), hash=view.get("hash"),
                                      view=await self.view(who, turn))
        except SlackApiError as error:
            if error.response.get("error") not in GONE:
                raise
            log.info("modal view not updated: a newer one is shown, or it was closed")

    async def view(self, who: Who, turn: Turn) -> dict[str, Any]:
        """The modal for where the turn left the check, with the turn's notes on top."""
        notices = [r for r in turn.replies if isinstance(r, Notice)]
        conversation = turn.conversation
        shown: list[Block | dict[str, Any]] = [*_notes(notices)]
        ref = ""
        if conversation is None:
            shown.append(ActionsBlock(block_id="again", elements=[
                _restart_button("Start a new check")]))
        else:
            ref = conversation.ref
            shown.extend(await self._body(who, conversation))
        modal = View(type="modal", callback_id=CALLBACK, private_metadata=ref,
                     title=PlainTextObject(text="opensource-check"),
                     close=PlainTextObject(text="Close"), blocks=shown[:100])
        return modal.to_dict()

    async def _body(self, who: Who, conversation: Conversation) -> list[Block | dict[str, Any]]:
        engine = self.advisor.engine
        if conversation.active:
            return list(question_blocks(engine.ask(conversation)))
        if conversation.state == CANCELLED:
            return [_section("This check was cancelled; nothing was saved to your history."),
                    ActionsBlock(block_id="again", elements=[_restart_button("Start a new check")])]
        result = engine.result(conversation)
        place = await self.advisor.store.get_records(PLACES, who.scope)
        rec = result.recommendation
        message = blocks.result(rec, build(rec, engine.flow), runner=who.user,
                                answers=dict(result.answers),
                                summary_channel=place.get("summary_channel"),
                                review_months=result.recommendation.review_in_months)
        return list(_in_the_modal(message.blocks))

    def _context(self, who: Who) -> Context:
        return Context(channel="modal", user_name=who.name)


def busy_view() -> dict[str, Any]:
    """What the modal shows when the replica is too busy to take a click in."""
    return View(type="modal", callback_id=CALLBACK, title=PlainTextObject(text="opensource-check"),
                close=PlainTextObject(text="Close"),
                blocks=[_section(f":hourglass: {BUSY}")]).to_dict()


async def _quietly(work: Coroutine[Any, Any, object]) -> None:
    try:
        await work
    except SlackApiError:
        log.info("busy notice not shown in the modal")


def _inbound(action_id: str, ref: str, view: dict[str, Any]) -> Inbound | None:
    """What a click in the modal asks the advisor to do; None for Start a new check."""
    if action_id == "modal_restart":
        return None
    if action_id == "modal_continue":
        state = view.get("state", {}).get("values", {}).get(CHOICES, {}).get(CHOICES, {})
        ticked = tuple(str(o.get("value")) for o in state.get("selected_options") or [])
        return Inbound.submit(ref, ticked)
    if action_id.startswith("modal_answer:"):
        return Inbound.click("answer", ref, action_id.removeprefix("modal_answer:"))
    return Inbound.click("back" if action_id == "modal_back" else "cancel", ref)
