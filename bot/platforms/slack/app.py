"""The Slack edge: bolt wiring on the shared aiohttp server, turning Slack payloads into advisor
turns and the advisor's replies into Block Kit (rendered by `blocks`).

Every listener acks first and moves its Web API calls into a background task
(process_before_response=True): bolt then answers Slack in about a millisecond instead of polling
for the ack every 10 ms, and the task logs its own errors because bolt no longer sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Advisor
from bot.crypto import TokenCipher
from bot.errors import ConfigurationError, StoreUnavailableError
from bot.platforms.slack import blocks
from bot.platforms.slack.dialogue import Dialogue, Who
from bot.platforms.slack.function import WorkflowStep
from bot.platforms.slack.modal import Modal
from bot.platforms.slack.oauth import RecordInstallationStore, RecordStateStore
from bot.review import ReviewDesk
from bot.server import REVIEWS, spawn
from bot.settings import Settings
from bot.store.factory import is_outage

log = logging.getLogger(__name__)

BOT_SCOPES = ("chat:write", "commands", "im:history", "usergroups:read")
"""Exactly what the code calls: chat.* methods, the slash command, DMs typed to the bot, and
the members of the OSPO's reviewer group."""
GREETINGS = frozenset({"hi", "hello", "hey", "start", "begin", "go"})
NO_USER = "I could not tell who sent this, so I changed nothing."
NOT_SAVED = "Your answer could not be saved; nothing changed, please try again."
BUSY = "I am busy right now and did not take that in; nothing changed, please try again."
SLACK_BUSY = ("Slack is asking me to slow down, so this did not get through; please try again "
              "in a minute.")
NOT_ALLOWED = "This app is not enabled for your workspace."
MAX_RETRY_AFTER_SECONDS = 30
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 have 10 digits until the year 2286


def check_settings(settings: Settings) -> None:
    """ConfigurationError naming the setting to set when Slack's settings are missing or clash."""
    oauth = settings.slack_client_id is not None or settings.slack_client_secret is not None
    if settings.slack_bot_token is not None and oauth:
        raise ConfigurationError(
            "SLACK_BOT_TOKEN serves one workspace and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET install "
            "the app in many: set one or the other, not both.")
    if oauth and (settings.slack_client_id is None or settings.slack_client_secret is None):
        missing = "SLACK_CLIENT_SECRET" if settings.slack_client_secret is None else \
            "SLACK_CLIENT_ID"
        raise ConfigurationError(f"OAuth needs both client settings: set {missing}.")
    if settings.slack_bot_token is None and not oauth:
        raise ConfigurationError(
            "Set SLACK_BOT_TOKEN (xoxb-..., OAuth & Permissions page) for one workspace, or "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install the app in many.")
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        raise ConfigurationError(
            "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials) so requests from "
            "Slack can be verified, or SLACK_APP_TOKEN to use Socket Mode instead.")
    if settings.slack_app_token is not None and oauth:
        raise ConfigurationError("Socket Mode (SLACK_APP_TOKEN) serves one workspace: set "
                                 "SLACK_BOT_TOKEN and unset SLACK_CLIENT_ID/SLACK_CLIENT_SECRET.")
    if oauth and settings.encryption_key is None:
        raise ConfigurationError(
            "OAuth stores every workspace's bot token: set ENCRYPTION_KEY so they are encrypted "
            "at rest (make one with `opensource-check generate-key`).")
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if token.startswith("xoxe."):
        raise ConfigurationError(
            "SLACK_BOT_TOKEN is a rotating token (xoxe.xoxb-...) and expires after 12 hours: "
            "install with OAuth instead (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), or create the "
            "app with token_rotation_enabled false for a fixed token.")
    _check_prefix("SLACK_BOT_TOKEN", settings.slack_bot_token, "xoxb-")
    _check_prefix("SLACK_APP_TOKEN", settings.slack_app_token, "xapp-")


def _check_prefix(name: str, value: Any, prefix: str) -> None:
    if value is not None and not value.get_secret_value().startswith(prefix):
        raise ConfigurationError(f"{name} must start with {prefix} (check you copied the right "
                                 "token).")


def web_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client: Slack's (or a fake's) URL, retrying 429s and 5xx after Retry-After.

    Every call goes through one shared HTTP session: without it slack_sdk opens a session, and
    a TLS connection to Slack, per call. Bolt's per-workspace clients reuse the same session.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_url.rstrip("/") + "/"
    return AsyncWebClient(token=token, base_url=base_url, session=session, retry_handlers=[
        AsyncConnectionErrorRetryHandler(), CappedRateLimitRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2)])


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after its Retry-After, unless Slack asks for more than 30 s: then give up
    (and the user is told), rather than keep a turn asleep, possibly through a shutdown."""

    async def _can_retry_async(self, *, state: RetryState,  # noqa: ARG002  (the port's signature)
                               request: HttpRequest,  # noqa: ARG002
                               response: HttpResponse | None = None,
                               error: Exception | None = None,  # noqa: ARG002
                               ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = next((values[0] for name, values in response.headers.items()
                     if name.lower() == "retry-after" and values), "1")
        return wait.isdigit() and int(wait) <= MAX_RETRY_AFTER_SECONDS


def _oauth(advisor: Advisor, settings: Settings,
           client: AsyncWebClient) -> AsyncOAuthSettings | None:
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        return None
    cipher = TokenCipher(settings.encryption_key.get_secret_value()
                         if settings.encryption_key else None)
    installations = RecordInstallationStore(advisor.store, cipher,
                                            allowed=settings.workspace_allow_list)
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(), scopes=list(BOT_SCOPES),
        installation_store=installations,
        installation_store_bot_only=True, state_store=RecordStateStore(advisor.store),
        install_path="/slack/install", redirect_uri_path="/slack/oauth_redirect")
    # Bolt's default authorizer refreshes rotating tokens with a client of its own (slack.com,
    # a session per call); this one refreshes through the app's client, 120 minutes ahead.
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=log, client_id=oauth.client_id, client_secret=oauth.client_secret,
        installation_store=installations, bot_only=True, client=client,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes)
    return oauth


class _Without(logging.Filter):
    """Drops one exact log message."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


class Spawn(Protocol):
    """server.spawn bound to the app: run work after the ack; False when too busy."""

    def __call__(self, work: Coroutine[Any, Any, None], name: str, *,
                 notice: bool = False) -> bool: ...
Notify = Callable[[str], Coroutine[Any, Any, None]]


def build_bolt(advisor: Advisor, settings: Settings, spawn: Spawn,
               session: aiohttp.ClientSession, reviews: ReviewDesk | None = None) -> AsyncApp:
    """The bolt app with every listener registered (the OSPO review's when a policy is set)."""
    secret = settings.slack_signing_secret
    client = web_client(settings, session)
    # Bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that the client
    # (built with that very token) wins: an alarming line for nothing, so it is dropped.
    quiet = _Without(warning_client_prioritized_and_token_skipped())
    log.addFilter(quiet)
    try:
        bolt = AsyncApp(client=client, process_before_response=True,
                        signing_secret=secret.get_secret_value() if secret else "",
                        oauth_settings=_oauth(advisor, settings, client), logger=log)
    finally:
        log.removeFilter(quiet)
    allowed = settings.workspace_allow_list
    if allowed:
        bolt.middleware(_only_allowed_workspaces(allowed))
    dialogue = Dialogue(advisor)
    Listeners(dialogue, spawn).register(bolt)
    WorkflowStep(advisor, spawn).register(bolt)
    Modal(advisor, spawn, _who).register(bolt)
    if reviews is not None and reviews.enabled:
        from bot.platforms.slack.review import SlackReviews  # noqa: PLC0415  (with a policy)

        SlackReviews(reviews, dialogue, spawn).register(bolt)
    if bolt.installation_store is not None:
        # Uninstalling the app or revoking its token deletes the workspace's stored token.
        bolt.enable_token_revocation_listeners()
    else:
        bolt.event("app_uninstalled")(_uninstalled_single_workspace)
        bolt.event("tokens_revoked")(_uninstalled_single_workspace)
    return bolt


def _only_allowed_workspaces(allowed: frozenset[str]) -> Callable[..., Any]:
    """ALLOWED_WORKSPACES: requests from any other workspace are acked with a polite refusal."""

    async def middleware(context: AsyncBoltContext,
                         next: Callable[[], Coroutine[Any, Any, None]],  # noqa: A002  (bolt's name)
                         ) -> BoltResponse | None:
        if context.team_id in allowed or context.enterprise_id in allowed:
            await next()
            return None
        log.warning("request from a workspace not in ALLOWED_WORKSPACES refused",
                    extra={"workspace": context.team_id})
        return BoltResponse(status=200, body=NOT_ALLOWED)  # a command shows it to the user

    return middleware


async def _uninstalled_single_workspace(context: AsyncBoltContext) -> None:
    """SLACK_BOT_TOKEN no longer works: say so (bolt acks the event, so Slack stops retrying)."""
    log.warning("the app was uninstalled or its token revoked: SLACK_BOT_TOKEN no longer works",
                extra={"workspace": context.team_id})


def _malformed(body: Any) -> str | None:
    """Why bolt could not dispatch this payload without crashing; None when it can.

    Bolt indexes `body["actions"][0]` and `body["event"]["type"]` without looking (in its
    matchers, its authorization and its argument injection), so a payload Slack never sends
    would be a 500 instead of a refusal.
    """
    if not isinstance(body, dict):
        return "not an object"
    if "event" in body and not isinstance(_dig(body, "event", "type"), str):
        return "an event without a type"
    if "actions" in body or body.get("type") == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(_dig(action, "action_id"), str) for action in actions):
            return "actions without an action_id"
    if body.get("type") in ("view_submission", "view_closed") and not isinstance(
            _dig(body, "view", "callback_id"), str):
        return "a view without a callback_id"
    if "command" in body and not isinstance(body["command"], str):
        return "a command that is not text"
    return None


def _dig(data: Any, *path: str) -> str | None:
    """The text at `path` in nested objects; None when a step is missing or of another type."""
    for name in path:
        data = data.get(name) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


def _who(context: AsyncBoltContext, body: dict[str, Any]) -> Who | None:
    """Who sent this; None when the payload names no user (Slack always does).

    On Enterprise Grid a user id is the same person in every workspace of the organisation, so
    the organisation, not the workspace, keys their check, history and records.
    """
    user, team = context.user_id, context.enterprise_id or context.team_id
    if not isinstance(user, str) or not user.strip() or not isinstance(team, str) or not team:
        log.warning("Slack payload without a user ignored")
        return None
    name = _dig(body, "user_name") or _dig(body, "user", "username")
    return Who(team=team, user=user, name=name)


def _value(body: dict[str, Any]) -> str | None:
    """The clicked button's value (the middleware made sure there is an action)."""
    value = _dig(body["actions"][0], "value")
    if value is None:
        log.warning("Slack action without a value ignored")
    return value


class Listeners:
    """Bolt listeners: ack at once, then hand the work to the dialogue in the background."""

    def __init__(self, dialogue: Dialogue, spawn: Spawn) -> None:
        self.dialogue = dialogue
        self.spawn = spawn

    def register(self, bolt: AsyncApp) -> None:
        """Attach every listener to the bolt app."""
        bolt.command(blocks.COMMAND)(self.on_command)
        bolt.event("message")(self.on_message)
        bolt.event("app_home_opened")(self.on_home)
        for action in ("help", "back", "cancel"):
            bolt.action(action)(self.on_control)
        bolt.action(re.compile(r"^answer:"))(self.on_answer)
        bolt.action(blocks.CONTINUE)(self.on_continue)
        bolt.action(blocks.TICKS)(self.on_tick)
        bolt.action(re.compile(r"^(home_start|start_over)$"))(self.on_start_button)
        bolt.action("post_summary")(self.on_post)
        bolt.action(re.compile(r"^remind(_at)?$"))(self.on_remind)
        bolt.action("summary_channel")(self.on_pick)

    def _later(self, what: str, work: Callable[[], Coroutine[Any, Any, None]],
               notify: Notify | None = None) -> None:
        """Run the work after the ack; tell the user when it cannot run or cannot be saved."""
        if self.spawn(_told(work, notify), f"slack {what}") or notify is None:
            return
        notice = notify(BUSY)
        if not self.spawn(_quietly(notice), "slack busy notice", notice=True):
            notice.close()  # full even for notices: the refusal is counted, nothing queued

    def _notify(self, client: AsyncWebClient, who: Who, dm: str | None) -> Notify:
        return lambda text: self.dialogue.tell(client, who, dm, text)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext, respond: AsyncRespond) -> None:
        sub = (_dig(body, "text") or "").strip().lower() or "start"
        who, channel = _who(context, body), _dig(body, "channel_id") or ""
        if who is None:
            await ack(text=NO_USER)
        elif sub == "history":
            await ack()
            self._later("history", lambda: self.dialogue.history(who, respond))
        elif sub in ("start", "restart", "cancel"):
            await ack(text=blocks.started_note(sub, channel))
            self._later(sub, lambda: self.dialogue.command(client, who, sub, channel,
                                                           _dig(body, "trigger_id")),
                        self._notify(client, who, None))
        else:
            await ack(text=blocks.HELP)

    async def on_message(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await ack()
        event = body["event"]
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        text, dm = event.get("text") or "", _dig(event, "channel")
        who = _who(context, body)
        if who is None or not dm or not isinstance(text, str):
            return  # not a message a person typed: Slack never sends these
        greeting = text.strip().lower().strip("!.") in GREETINGS
        self._later("message", lambda: self.dialogue.typed(
            client, who, text, dm, _dig(body, "event_id"), start=greeting),
            self._notify(client, who, dm))

    async def on_home(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        await ack()
        who = _who(context, body)
        if who is not None and _dig(body, "event", "tab") == "home":
            self._later("home", lambda: self.dialogue.home(client, who))

    async def on_answer(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        who, value = _who(context, body), _value(body)
        if who is None or value is None:
            return
        ref, _, option = value.partition("|")
        self._later("answer", lambda: self.dialogue.click(
            client, who, "answer", ref, option=option, clicked=_clicked(body)),
            self._notify(client, who, _dig(body, "channel", "id")))

    async def on_continue(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          context: AsyncBoltContext) -> None:
        """Continue under checkboxes: the ticked options are read from the message's state."""
        await ack()
        who, ref = _who(context, body), _value(body)
        if who is None or ref is None:
            return
        ticked = _ticked(body)
        self._later("answer", lambda: self.dialogue.click(
            client, who, "answer", ref, option=None, clicked=_clicked(body), ticked=ticked),
            self._notify(client, who, _dig(body, "channel", "id")))

    async def on_tick(self, ack: AsyncAck) -> None:
        await ack()  # the ticks are read from the message state when Continue is pressed

    async def on_control(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await ack()
        who, value, action = _who(context, body), _value(body), body["actions"][0]["action_id"]
        if who is None or value is None:
            return
        self._later(action, lambda: self.dialogue.click(
            client, who, action, value, option=None, clicked=_clicked(body)),
            self._notify(client, who, _dig(body, "channel", "id")))

    async def on_start_button(self, ack: AsyncAck, body: dict[str, Any],
                              client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await ack()
        who = _who(context, body)
        if who is None:
            return
        self._later("start", lambda: self.dialogue.command(
            client, who, "start", None, _dig(body, "trigger_id")),
            self._notify(client, who, _dig(body, "channel", "id")))

    async def on_post(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        await ack()
        who, value = _who(context, body), _value(body)
        if who is None or value is None:
            return
        picked = ("values", "result", "summary_channel", "selected_conversation")
        chosen = _dig(body, "state", *picked) or _dig(body, "view", "state", *picked)  # modal
        dm = _dig(body, "channel", "id")
        self._later("post summary", lambda: self.dialogue.post_summary(
            client, who, value, chosen, dm, event_id=_dig(body, "trigger_id")),
            self._notify(client, who, dm))

    async def on_remind(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        who, value, action = _who(context, body), _value(body), body["actions"][0]["action_id"]
        if who is None or value is None:
            return
        dm = _dig(body, "channel", "id")
        self._later("remind", lambda: self.dialogue.remind(
            client, who, action, value, dm, event_id=_dig(body, "trigger_id")),
            self._notify(client, who, dm))

    async def on_pick(self, ack: AsyncAck) -> None:
        await ack()  # the choice is read from the message state when Post summary is pressed


async def _told(work: Callable[[], Coroutine[Any, Any, None]], notify: Notify | None) -> None:
    """The work; when the store or Slack fails it, the user hears so, then it is logged."""
    try:
        await work()
    except Exception as error:
        if is_outage(error):
            if notify is not None:
                await _quietly(notify(NOT_SAVED))
            raise StoreUnavailableError(str(error)) from error
        if (notify is not None and isinstance(error, SlackApiError)
                and error.response.status_code == 429):
            await _quietly(notify(SLACK_BUSY))
        raise


async def _quietly(notice: Coroutine[Any, Any, None]) -> None:
    """A notice about a failure must not fail in turn (Slack may be what failed)."""
    try:
        await notice
    except Exception as error:  # noqa: BLE001  (the original failure is what gets logged)
        log.warning("could not tell the user: %s", type(error).__name__)


def _ticked(body: dict[str, Any]) -> tuple[str, ...]:
    """The boxes ticked in the question's checkboxes (Slack sends the message's state with
    every click); none ticked, or no state at all, is an empty selection: "none"."""
    values = body.get("state", {}).get("values") if isinstance(body.get("state"), dict) else None
    found: list[str] = []
    for block_id, elements in (values or {}).items():
        ticks = elements.get(blocks.TICKS) if isinstance(elements, dict) else None
        if str(block_id).startswith(blocks.TICKS) and isinstance(ticks, dict):
            found.extend(option["value"] for option in ticks.get("selected_options") or []
                         if isinstance(option, dict) and isinstance(option.get("value"), str))
    return tuple(found)


def _clicked(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The clicked message's channel and ts, and the click's id for idempotency."""
    return (_dig(body, "container", "channel_id"), _dig(body, "container", "message_ts"),
            _dig(body, "trigger_id"))


async def mount(app: web.Application, advisor: Advisor, settings: Settings) -> None:
    """Add Slack to the server: /slack/events, the OAuth routes, and Socket Mode if configured."""
    check_settings(settings)
    session = aiohttp.ClientSession()

    async def close_session(_: web.Application) -> None:
        await session.close()

    app.on_cleanup.append(close_session)  # cleanup runs after the turns in flight finish
    reviews = app.get(REVIEWS)
    bolt = build_bolt(advisor, settings, partial(spawn, app), session, reviews)
    if reviews is not None and reviews.enabled:
        from bot.platforms.slack.review import remind_daily  # noqa: PLC0415  (with a policy)

        remind_daily(app, bolt, reviews, Dialogue(advisor))

    async def events(request: web.Request) -> web.Response:
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
            return web.Response(status=401)  # slack_sdk's verifier raises on these: a 500
        try:
            bolt_request = await to_bolt_request(request)
            problem = _malformed(bolt_request.body)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
            problem = "not parsable"  # e.g. `payload=` that is not JSON, or nested too deeply
        if problem is not None:
            return await _refused(request, settings, problem)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    if settings.slack_signing_secret is not None:
        app.router.add_post("/slack/events", events)
    flow = bolt.oauth_flow
    if flow is not None:
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, callback)
    if settings.slack_app_token is not None:
        _socket_mode(app, bolt, settings.slack_app_token.get_secret_value())


async def _refused(request: web.Request, settings: Settings, problem: str) -> web.Response:
    """A payload bolt cannot handle: 401 unless it is signed, else 400, and nothing touched.

    Bolt checks the signature only once it dispatches, so the check is made here to keep
    unsigned junk a 401 like every other unsigned request.
    """
    secret = settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value() if secret else "")
    body = (await request.read()).decode("utf-8", errors="replace")
    if not verifier.is_valid_request(body, dict(request.headers)):
        return web.Response(status=401)
    log.warning("malformed Slack payload refused", extra={"kind": problem})
    return web.Response(status=400, text=f"malformed payload: {problem}")


def _socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import (  # noqa: PLC0415
        AsyncSocketModeHandler,
    )

    handler = AsyncSocketModeHandler(bolt, app_token)

    async def connect(_: web.Application) -> None:
        await handler.connect_async()  # type: ignore[no-untyped-call]

    async def disconnect(_: web.Application) -> None:
        await handler.close_async()  # type: ignore[no-untyped-call]

    app.on_startup.append(connect)
    app.on_cleanup.append(disconnect)
