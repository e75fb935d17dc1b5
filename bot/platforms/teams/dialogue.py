"""The Teams dialogue: activities in, the advisor's turns out as Adaptive Cards, on either SDK.

POST /api/messages authenticates the request (401 when a token is missing or invalid), answers
at once and runs the turn in the background: Teams retries after 15 seconds, and the activity id
is the advisor's idempotency key, so a retried delivery changes nothing. Checks are keyed by
user, not by chat, so a check started by an @mention in a channel goes on in the personal chat.
Replies go out through the Connector of the chosen SDK.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.advisor import Advisor, Context, Turn, utc_now
from bot.core.conversation import Action, Inbound
from bot.core.engine import InvalidAnswerError, MissingAnswerError
from bot.core.flow import normalise
from bot.core.replies import AskQuestion, Closed, Notice, Result
from bot.platforms.repeats import without_repeat
from bot.platforms.teams import cards
from bot.platforms.teams.activity import (
    CONVERSATION_UPDATE,
    INSTALLATION_UPDATE,
    MESSAGE,
    Activity,
    card_attachment,
)
from bot.platforms.teams.auth import ChannelTokens, KeysUnavailableError, UnauthorizedError
from bot.platforms.teams.channels import Channels
from bot.platforms.teams.connector import CALL_TIMEOUT_SECONDS, Connector, ConnectorError
from bot.report import build
from bot.server import spawn
from bot.store.base import ConversationKey

if TYPE_CHECKING:
    from bot.platforms.teams.review import TeamsReviews

log = logging.getLogger(__name__)

PLATFORM = "teams"
OPEN_CARD = "teams.card"  # record: the user's open question card, to close it on a typed answer
START = {"start", "hi", "hello", "hey", "begin"}  # and anything with "opensource-check"
MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
CLICKS: dict[str, Action] = {"answer": "answer", "back": "back", "cancel": "cancel"}
TEAMS_CHANNEL = "msteams"
LOCAL_CHANNELS = {"msteams", "emulator"}  # anonymous mode: the Agents Playground, the Emulator
DAMAGED = "I could not read that button, so I changed nothing. Type start for a fresh check."
NOT_YOURS = ("That check belongs to someone else, so I changed nothing. @mention me with "
             "opensource-check to run your own.")


def key_of(activity: Activity) -> ConversationKey:
    """One check per user and tenant, whichever chat it is answered in."""
    return ConversationKey(PLATFORM, activity.tenant, "checks", activity.user)


class Replies:
    """Sends into the conversation of one incoming activity, through the connector."""

    def __init__(self, connector: Connector, activity: Activity) -> None:
        self.connector = connector
        self.activity = activity

    async def send(self, text: str = "", card: dict[str, Any] | None = None) -> str:
        """A text or a card, in reply to the activity; the id Teams gave it."""
        body = card_attachment(card) if card is not None else {"text": text}
        reply_to = self.activity.id or None
        message = self.activity.reply(**body, **({"replyToId": reply_to} if reply_to else {}))
        return await asyncio.wait_for(self.connector.send(
            self.activity.service_url, self.activity.conversation_id, message, reply_to),
            CALL_TIMEOUT_SECONDS * 2)

    async def update(self, activity_id: str, card: dict[str, Any]) -> None:
        """Replace one of the bot's cards in this conversation."""
        message = self.activity.reply(**card_attachment(card))
        await asyncio.wait_for(self.connector.update(
            self.activity.service_url, self.activity.conversation_id, activity_id, message),
            CALL_TIMEOUT_SECONDS * 2)


class TeamsEdge:
    """Translates activities into advisor calls and the replies into cards."""

    def __init__(self, advisor: Advisor, connector: Connector, tokens: ChannelTokens | None,
                 allowed_tenants: frozenset[str] = frozenset()) -> None:
        self.advisor = advisor
        self.connector = connector
        self.tokens = tokens  # None: local anonymous mode
        self.allowed_tenants = allowed_tenants
        self.channels = Channels(advisor.store, connector)
        self.reviews: TeamsReviews | None = None  # set by mount() when a policy asks for reviews

    async def messages(self, request: web.Request) -> web.Response:
        """Authenticate, acknowledge, and run the turn after the response."""
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # junk, or JSON nested deeper than Python parses
            log.warning("refused a Teams request: not JSON")
            return web.Response(status=400, text="expected a Bot Framework activity")
        activity = Activity.parse(body)
        if activity is None:
            return web.Response(status=400, text="expected a Bot Framework activity")
        refused = await self._refusal(activity, request.headers.get("Authorization", ""))
        if refused is not None:
            return refused
        if not spawn(request.app, self.on_turn(activity), "teams turn"):
            return web.Response(status=503, headers={"Retry-After": "5"})  # busy: Teams retries
        return web.Response(status=202)

    async def _refusal(self, activity: Activity, header: str) -> web.Response | None:
        channels = LOCAL_CHANNELS if self.tokens is None else {TEAMS_CHANNEL}
        if activity.channel_id not in channels:
            log.warning("refused a Teams request from channel %r", activity.channel_id[:40])
            return web.Response(status=400, text="only Microsoft Teams activities are served")
        if self.tokens is not None:
            try:
                await self.tokens.validate(header, activity.channel_id, activity.service_url)
            except UnauthorizedError as error:
                log.warning("refused a Teams request: %s", error)
                return web.Response(status=401)
            except KeysUnavailableError as error:
                log.warning("could not authenticate a Teams request: %s", error)
                return web.Response(status=503, headers={"Retry-After": "30"})
        if self.allowed_tenants and activity.tenant not in self.allowed_tenants:
            log.warning("refused a Teams request from a tenant not in ALLOWED_TENANTS")
            return web.Response(status=403, text="this tenant may not use the bot")
        return None

    async def on_turn(self, activity: Activity) -> None:
        """One activity: a message or card submit, or a change of where the bot is installed."""
        if activity.type == MESSAGE:
            await self._on_message(Replies(self.connector, activity))
        elif activity.type in (CONVERSATION_UPDATE, INSTALLATION_UPDATE):
            await self.channels.observe(activity)

    async def _on_message(self, replies: Replies) -> None:
        activity = replies.activity
        if "ocb" in activity.value:
            await self._on_submit(replies, activity.value)
            return
        # Not the SDKs' remove-recipient-mention: it deletes every occurrence of the bot's
        # name, and the bot is called like its command.
        typed = MENTION.sub(" ", activity.text).strip()
        said = normalise(typed)
        key = key_of(activity)
        if not said or said in START or "opensource check" in said:
            await self._start(replies, key)
        elif said == "reviews" and self.reviews is not None:
            await self.reviews.queue(replies, key)
        elif said == "history":
            page = await self.advisor.store.history(user_id=key.user, workspace=key.workspace,
                                                    platform=PLATFORM, limit=5)
            await replies.send(cards.history(page.entries))
        elif said == "help" and not await self._active(key):
            await replies.send(cards.HELP)
        elif said in ("back", "cancel") and not await self._active(key):
            await replies.send("No check is running. Type start to begin one.")
        else:
            await self._render(replies, key, await self.advisor.handle(
                key, Inbound.typed(typed), _context(activity), _event(activity)))

    async def _active(self, key: ConversationKey) -> bool:
        conversation = await self.advisor.current(key)
        return conversation is not None and conversation.active

    async def _start(self, replies: Replies, key: ConversationKey) -> None:
        activity = replies.activity
        personal = await self._personal_chat(activity) if activity.shared else None
        turn = await self.advisor.start(key, _context(activity), _event(activity))
        if personal is None:
            await self._render(replies, key, turn)
            return
        await self._render(Replies(self.connector, personal), key, turn)
        await replies.send("I have sent you the questions in our personal chat.")

    async def _personal_chat(self, activity: Activity) -> Activity | None:
        """The user's personal chat with the bot; None when Teams refuses (app not installed)."""
        try:
            chat = await asyncio.wait_for(self.connector.create_personal_chat(
                activity.service_url, activity.tenant, activity.recipient, activity.sender),
                CALL_TIMEOUT_SECONDS * 2)
        except ConnectorError as error:
            log.info("no personal chat; asking in the thread", extra={"status": error.status})
            return None
        # The personal chat, as if the user had written there (no id: nothing to reply to).
        return Activity({**activity.raw, "id": None, "conversation": {
            "id": chat, "conversationType": "personal", "tenantId": activity.tenant}})

    async def _on_submit(self, replies: Replies, value: dict[str, Any]) -> None:
        activity = replies.activity
        key, kind = key_of(activity), value["ocb"]
        if self.reviews is not None and self.reviews.is_review(value):
            await self.reviews.on_submit(replies, key, value)
        elif value.get("owner") != key.user:
            await replies.send(NOT_YOURS)
        elif kind == "post":
            await self._post(replies, value)
        elif isinstance(kind, str) and kind in CLICKS:
            inbound = _clicked(kind, value)
            if inbound is None:
                await replies.send(DAMAGED)  # Inbound would refuse it: a crash
                return
            turn = await self.advisor.handle(key, inbound, _context(activity), _event(activity))
            await self._render(replies, key, without_repeat(turn, inbound))

    async def _render(self, replies: Replies, key: ConversationKey, turn: Turn) -> None:
        # The open card is read once, so updating the answered card and sending what follows
        # can run at once: a turn then waits for one connector round trip rather than two.
        card = await self._open_card(key) if turn.replies else {}

        async def send_in_order() -> None:
            for reply in turn.replies:
                if isinstance(reply, AskQuestion):
                    await self._ask(replies, key, reply, card)
                elif isinstance(reply, Notice):
                    await replies.send(reply.text)
                elif isinstance(reply, Result):
                    channels = await self.channels.choices(replies.activity, key.workspace)
                    report = build(reply.recommendation, self.advisor.engine.flow)
                    await replies.send(card=cards.result(
                        report, key.user, dict(reply.answers), channels))
                    await self.advisor.store.delete_record(OPEN_CARD, str(key), "open")

        updates = [self._update_card(replies, card, reply) for reply in turn.replies
                   if isinstance(reply, Closed) and card.get("ref") == reply.ref]
        await asyncio.gather(*updates, send_in_order())
        if self.reviews is not None and turn.changed:
            await self.reviews.after_result(replies, key, turn)

    async def _ask(self, replies: Replies, key: ConversationKey, reply: AskQuestion,
                   previous: dict[str, str]) -> None:
        if previous.get("ref") == reply.ref:  # a resume asks again below: retire the old card
            moved = Closed(ref=reply.ref, prompt=reply.question.prompt, note="Asked again below")
            await self._update_card(replies, previous, moved)
        sent = await replies.send(card=cards.question(reply, key.user))
        # Kept as a store record, not in the conversation's meta: saving meta bumps the
        # conversation's version, which would make the buttons just sent stale.
        record = {"id": sent, "conversation": replies.activity.conversation_id,
                  "ref": reply.ref}
        await self.advisor.store.put_record(OPEN_CARD, str(key), "open", json.dumps(record))

    async def _open_card(self, key: ConversationKey) -> dict[str, str]:
        found = (await self.advisor.store.get_records(OPEN_CARD, str(key))).get("open")
        return dict(json.loads(found)) if found else {}

    async def _update_card(self, replies: Replies, record: dict[str, str],
                           reply: Closed) -> None:
        if record.get("conversation") != replies.activity.conversation_id:
            return  # the card lives in another chat; its buttons will answer as stale
        try:
            await replies.update(record["id"], cards.closed(reply))
        except ConnectorError as error:  # deleted by the user, say: the turn still counts
            log.warning("could not update a card", extra={"status": error.status})

    async def _post(self, replies: Replies, value: dict[str, Any]) -> None:
        activity = replies.activity
        event = _event(activity)
        if event and not await self.advisor.store.first_time(event, utc_now()):
            return  # a retried delivery: the summary is posted already
        answers = value.get("answers") or {}
        if not isinstance(answers, dict) or not all(
                isinstance(a, str) or (isinstance(a, list) and all(isinstance(i, str) for i in a))
                for a in answers.values()):
            await replies.send(DAMAGED)
            return
        try:
            _, rec = self.advisor.engine.assess(answers)
        except (InvalidAnswerError, MissingAnswerError):
            await replies.send("That result is from an older version of the check; "
                               "please run it again to post it.")
            return
        channel = str(value.get("channel") or "")
        if not await self.advisor.store.first_time(_posting(activity, channel, answers),
                                                   utc_now()):
            await replies.send("I posted this summary there a moment ago, so I did not post it "
                               "again.")
            return
        summary = cards.summary(build(rec, self.advisor.engine.flow),
                                activity.user_name or "Someone")
        await replies.send(await self.channels.post(activity, channel, summary))


def _clicked(kind: str, value: dict[str, Any]) -> Inbound | None:
    """What a card's submit asks: a button, or Continue under a multi-select, whose ticked
    options Teams sends as one comma-separated text in the `choices` input (absent or empty:
    none). None when the data is damaged."""
    ref, option = value.get("ref"), value.get("option")
    if not isinstance(ref, str) or not isinstance(option, str | None):
        return None
    if kind == "answer" and value.get("multiple") is True:
        ticked = value.get(cards.CHOICES) or ""
        if not isinstance(ticked, str):
            return None
        return Inbound.submit(ref, tuple(t.strip() for t in ticked.split(",") if t.strip()))
    return Inbound.click(CLICKS[kind], ref, option)


def _context(activity: Activity) -> Context:
    return Context(channel=activity.conversation_id, user_name=activity.user_name)


def _posting(activity: Activity, channel: str, answers: dict[str, Any]) -> str:
    """One post of one result to one channel per minute: a double click posts once."""
    digest = hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()[:16]
    return (f"teams:post:{activity.tenant}:{activity.user}:{channel}:{digest}:"
            f"{utc_now():%Y%m%d%H%M}")


def _event(activity: Activity) -> str | None:
    return f"teams:{activity.conversation_id}:{activity.id}" if activity.id else None
