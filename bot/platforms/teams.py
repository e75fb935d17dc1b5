"""The Microsoft Teams edge: Bot Framework activities in, the advisor's turns out as Adaptive Cards.

POST /api/messages authenticates the request (401 when a token is missing or invalid), answers
at once and runs the turn in the background: Teams retries after 15 seconds, and the activity id
is the advisor's idempotency key, so a retried delivery changes nothing. Checks are keyed by
user, not by chat, so a check started by an @mention in a channel goes on in the personal chat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationParameters,
    ConversationReference,
)
from jwt import PyJWTError
from msrest.exceptions import HttpOperationError

from bot.advisor import Advisor, Context, Turn, utc_now
from bot.core.conversation import Action, Inbound
from bot.core.engine import InvalidAnswerError, MissingAnswerError
from bot.core.flow import normalise
from bot.core.replies import AskQuestion, Closed, Notice, Result
from bot.platforms import teams_cards as cards
from bot.platforms.teams_channels import Channels
from bot.platforms.teams_hosting import ReusingAuthentication
from bot.server import REVIEWS, run_daily, spawn
from bot.settings import Settings
from bot.store.base import ConversationKey

if TYPE_CHECKING:
    from bot.platforms.teams_review import TeamsReviews

log = logging.getLogger(__name__)

PLATFORM = "teams"
OPEN_CARD = "teams.card"  # record: the user's open question card, to close it on a typed answer
START = {"start", "hi", "hello", "hey", "begin"}  # and anything with "opensource-check"
MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
CLICKS: dict[str, Action] = {"answer": "answer", "back": "back", "cancel": "cancel"}
AUTHENTICATION: web.AppKey[ReusingAuthentication] = web.AppKey("teams_authentication",
                                                              ReusingAuthentication)
DAMAGED = "I could not read that button, so I changed nothing. Type start for a fresh check."
NOT_YOURS = ("That check belongs to someone else, so I changed nothing. @mention me with "
             "opensource-check to run your own.")


async def mount(app: web.Application, advisor: Advisor, settings: Settings) -> None:
    """Serve Teams at POST /api/messages on the shared server."""
    if not settings.microsoft_app_id:
        log.warning("Teams runs in local anonymous mode: MICROSOFT_APP_ID is not set, so requests "
                    "are not authenticated. Use this only with the Bot Framework Emulator.")
    authentication = app[AUTHENTICATION] = ReusingAuthentication(settings)
    edge = TeamsEdge(advisor, CloudAdapter(authentication), settings.microsoft_app_id or "")
    app.router.add_post("/api/messages", edge.messages)
    desk = app.get(REVIEWS)
    if desk is not None and desk.enabled:
        from bot.platforms.teams_review import TeamsReviews  # noqa: PLC0415  (with a policy)

        edge.reviews = TeamsReviews(desk, advisor, edge.adapter, edge.app_id, edge._render)
        run_daily(app, "teams review reminders", edge.reviews.daily)

    async def close_clients(_: web.Application) -> None:
        await authentication.close()

    app.on_cleanup.append(close_clients)


def key_of(activity: Activity) -> ConversationKey:
    """One check per user and tenant, whichever chat it is answered in."""
    return ConversationKey(PLATFORM, tenant_of(activity), "checks", user_of(activity))


def user_of(activity: Activity) -> str:
    """The sender's stable id (the Entra object id when Teams gives one)."""
    sender = activity.from_property
    return str(sender.aad_object_id or sender.id)


def tenant_of(activity: Activity) -> str:
    """The Microsoft 365 tenant, or `local` for the Emulator."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return str(activity.conversation.tenant_id or data.get("tenant", {}).get("id") or "local")


def _is_shared(activity: Activity) -> bool:
    return activity.conversation.conversation_type in ("channel", "groupChat")


def _well_formed(activity: Activity | None) -> bool:
    """What every turn reads: a type, a conversation id and a sender (Teams always sends them)."""
    if activity is None:  # the body was JSON null
        return False
    sender, conversation = activity.from_property, activity.conversation
    return (isinstance(activity.type, str) and bool(activity.type)
            and conversation is not None and isinstance(conversation.id, str)
            and bool(conversation.id) and sender is not None
            and isinstance(sender.aad_object_id or sender.id, str)
            and bool(sender.aad_object_id or sender.id))


def _card(content: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(content))


class TeamsEdge:
    """Translates activities into advisor calls and the replies into cards."""

    def __init__(self, advisor: Advisor, adapter: CloudAdapter, app_id: str) -> None:
        self.advisor = advisor
        self.adapter = adapter
        self.app_id = app_id
        self.channels = Channels(advisor.store, adapter, app_id)
        self.reviews: TeamsReviews | None = None  # with a company policy

    async def messages(self, request: web.Request) -> web.Response:
        """Authenticate, acknowledge, and run the turn after the response."""
        try:
            activity = Activity().deserialize(await request.json())
        except ValueError:
            activity = Activity()
        if not _well_formed(activity):
            return web.Response(status=400, text="expected a Bot Framework activity")
        header = request.headers.get("Authorization", "")
        try:
            auth = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, header)
        except (PermissionError, PyJWTError):
            return web.Response(status=401)
        spawn(request.app, self._process(auth, activity), "teams turn")
        return web.Response(status=202)

    async def _process(self, auth: Any, activity: Activity) -> None:
        await self.adapter.process_activity(auth, activity, self.on_turn)

    async def on_turn(self, context: TurnContext) -> None:
        """One activity: a message or card submit, or a change of where the bot is installed."""
        kind = context.activity.type
        if kind == ActivityTypes.message:
            await self._on_message(context)
        elif kind in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
            await self.channels.observe(context.activity)

    async def _on_message(self, context: TurnContext) -> None:
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        if "ocb" in value:
            await self._on_submit(context, value)
            return
        # Not TurnContext.remove_recipient_mention: it deletes every occurrence of the bot's
        # name, and the bot is called like its command.
        typed = MENTION.sub(" ", activity.text or "").strip()
        said = normalise(typed)
        key = key_of(activity)
        if not said or said in START or "opensource check" in said:
            await self._start(context, key)
        elif said == "reviews" and self.reviews is not None:
            await self.reviews.queue(context, key)
        elif said == "history":
            page = await self.advisor.store.history(user_id=key.user, platform=PLATFORM, limit=5)
            await context.send_activity(cards.history(page.entries))
        elif said == "help" and not await self._active(key):
            await context.send_activity(cards.HELP)
        elif said in ("back", "cancel") and not await self._active(key):
            await context.send_activity("No check is running. Type start to begin one.")
        else:
            await self._render(context, key, await self.advisor.handle(
                key, Inbound.typed(typed), _context(activity), _event(activity)))

    async def _active(self, key: ConversationKey) -> bool:
        conversation = await self.advisor.current(key)
        return conversation is not None and conversation.active

    async def _start(self, context: TurnContext, key: ConversationKey) -> None:
        activity = context.activity
        personal = await self._personal_chat(context) if _is_shared(activity) else None
        turn = await self.advisor.start(key, _context(activity), _event(activity))
        if personal is None:
            await self._render(context, key, turn)
            return

        async def in_personal_chat(private: TurnContext) -> None:
            await self._render(private, key, turn)

        await self.adapter.continue_conversation(personal, in_personal_chat, self.app_id)
        await context.send_activity("I have sent you the questions in our personal chat.")

    async def _personal_chat(self, context: TurnContext) -> ConversationReference | None:
        """The user's personal chat with the bot; None when Teams refuses (app not installed)."""
        activity = context.activity
        tenant = tenant_of(activity)
        parameters = ConversationParameters(
            is_group=False, bot=activity.recipient, members=[activity.from_property],
            tenant_id=tenant, channel_data={"tenant": {"id": tenant}})
        found: list[ConversationReference] = []

        async def created(private: TurnContext) -> None:
            found.append(TurnContext.get_conversation_reference(private.activity))

        try:
            await self.adapter.create_conversation(self.app_id, created, parameters,
                                                   activity.channel_id, activity.service_url)
        except HttpOperationError as error:
            log.info("no personal chat; asking in the thread", extra={"status": _status(error)})
            return None
        return found[0] if found else None

    async def _on_submit(self, context: TurnContext, value: dict[str, Any]) -> None:
        activity = context.activity
        key, kind = key_of(activity), value["ocb"]
        if self.reviews is not None and self.reviews.is_review(value):
            await self.reviews.on_submit(context, key, value)  # reviewers decide others' checks
        elif value.get("owner") != key.user:
            await context.send_activity(NOT_YOURS)
        elif kind == "post":
            await self._post(context, value)
        elif isinstance(kind, str) and kind in CLICKS:
            ref, option = value.get("ref"), value.get("option")
            if not isinstance(ref, str) or not isinstance(option, str | None):
                await context.send_activity(DAMAGED)  # Inbound would refuse it: a crash
                return
            inbound = Inbound.click(CLICKS[kind], ref, option)
            await self._render(context, key, await self.advisor.handle(
                key, inbound, _context(activity), _event(activity)))

    async def _render(self, context: TurnContext, key: ConversationKey, turn: Turn) -> None:
        # The open card is read once, so updating the answered card and sending what follows
        # can run at once: a turn then waits for one connector round trip rather than two.
        card = await self._open_card(key) if turn.replies else {}

        async def send_in_order() -> None:
            for reply in turn.replies:
                if isinstance(reply, AskQuestion):
                    await self._ask(context, key, reply, card)
                elif isinstance(reply, Notice):
                    await context.send_activity(reply.text)
                elif isinstance(reply, Result):
                    channels = await self.channels.choices(context, key.workspace)
                    await context.send_activity(_card(cards.result(
                        reply.recommendation, key.user, reply.answers, channels)))
                    await self.advisor.store.delete_record(OPEN_CARD, str(key), "open")

        updates = [self._update_card(context, card, reply) for reply in turn.replies
                   if isinstance(reply, Closed) and card.get("ref") == reply.ref]
        await asyncio.gather(*updates, send_in_order())
        if self.reviews is not None and turn.changed:
            await self.reviews.after_result(context, key, turn)

    async def _ask(self, context: TurnContext, key: ConversationKey, reply: AskQuestion,
                   previous: dict[str, str]) -> None:
        if previous.get("ref") == reply.ref:  # a resume asks again below: retire the old card
            moved = Closed(ref=reply.ref, prompt=reply.question.prompt, note="Asked again below")
            await self._update_card(context, previous, moved)
        sent = await context.send_activity(_card(cards.question(reply, key.user)))
        # Kept as a store record, not in the conversation's meta: saving meta bumps the
        # conversation's version, which would make the buttons just sent stale.
        record = {"id": sent.id, "conversation": context.activity.conversation.id,
                  "ref": reply.ref}
        await self.advisor.store.put_record(OPEN_CARD, str(key), "open", json.dumps(record))

    async def _open_card(self, key: ConversationKey) -> dict[str, str]:
        found = (await self.advisor.store.get_records(OPEN_CARD, str(key))).get("open")
        return dict(json.loads(found)) if found else {}

    async def _update_card(self, context: TurnContext, record: dict[str, str],
                           reply: Closed) -> None:
        if record.get("conversation") != context.activity.conversation.id:
            return  # the card lives in another chat; its buttons will answer as stale
        update = _card(cards.closed(reply))
        update.id = record["id"]
        try:
            await context.update_activity(update)
        except HttpOperationError as error:  # deleted by the user, say: the turn still counts
            log.warning("could not update a card", extra={"status": _status(error)})

    async def _post(self, context: TurnContext, value: dict[str, Any]) -> None:
        activity = context.activity
        event = _event(activity)
        if event and not await self.advisor.store.first_time(event, utc_now()):
            return  # a retried delivery: the summary is posted already
        answers = value.get("answers") or {}
        if not isinstance(answers, dict) or not all(isinstance(a, str) for a in answers.values()):
            await context.send_activity(DAMAGED)
            return
        try:
            _, rec = self.advisor.engine.assess(answers)
        except (InvalidAnswerError, MissingAnswerError):
            await context.send_activity("That result is from an older version of the check; "
                                        "please run it again to post it.")
            return
        summary = _card(cards.summary(rec, activity.from_property.name or "Someone"))
        outcome = await self.channels.post(context, tenant_of(activity),
                                           str(value.get("channel") or ""), summary)
        await context.send_activity(outcome)


def _context(activity: Activity) -> Context:
    return Context(channel=activity.conversation.id, user_name=activity.from_property.name)


def _event(activity: Activity) -> str | None:
    return f"teams:{activity.conversation.id}:{activity.id}" if activity.id else None


def _status(error: HttpOperationError) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)
