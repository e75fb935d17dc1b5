"""The Slack edge: bolt wiring on the shared aiohttp server, turning Slack payloads into advisor
turns and the advisor's replies into Block Kit (rendered by `slack_blocks`).

Every listener acks first and moves its Web API calls into a background task
(process_before_response=True): bolt then answers Slack in about a millisecond instead of polling
for the ack every 10 ms, and the task logs its own errors because bolt no longer sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.advisor import Advisor
from bot.bootstrap import ConfigurationError
from bot.crypto import TokenCipher
from bot.platforms import slack_blocks as blocks
from bot.platforms.slack_dialogue import Dialogue, Who
from bot.platforms.slack_oauth import RecordInstallationStore, RecordStateStore
from bot.server import spawn
from bot.settings import Settings

log = logging.getLogger(__name__)

BOT_SCOPES = ("chat:write", "commands", "im:history")
"""Exactly what the code calls: chat.* methods, the slash command, DMs typed to the bot."""
GREETINGS = frozenset({"hi", "hello", "hey", "start", "begin", "go"})


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
    _check_prefix("SLACK_BOT_TOKEN", settings.slack_bot_token, "xoxb-")
    _check_prefix("SLACK_APP_TOKEN", settings.slack_app_token, "xapp-")


def _check_prefix(name: str, value: Any, prefix: str) -> None:
    if value is not None and not value.get_secret_value().startswith(prefix):
        raise ConfigurationError(f"{name} must start with {prefix} (check you copied the right "
                                 "token).")


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: Slack's (or a fake's) URL, retrying 429s and 5xx after Retry-After."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_url.rstrip("/") + "/"
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=[
        AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2)])


def _oauth(advisor: Advisor, settings: Settings) -> AsyncOAuthSettings | None:
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        return None
    cipher = TokenCipher(settings.encryption_key.get_secret_value()
                         if settings.encryption_key else None)
    if not cipher.enabled:
        log.warning("ENCRYPTION_KEY is not set: Slack bot tokens are stored unencrypted")
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(), scopes=list(BOT_SCOPES),
        installation_store=RecordInstallationStore(advisor.store, cipher),
        installation_store_bot_only=True, state_store=RecordStateStore(advisor.store),
        install_path="/slack/install", redirect_uri_path="/slack/oauth_redirect")


Spawn = Callable[[Coroutine[Any, Any, None], str], None]


def build_bolt(advisor: Advisor, settings: Settings, spawn: Spawn) -> AsyncApp:
    """The bolt app with every listener registered."""
    secret = settings.slack_signing_secret
    bolt = AsyncApp(client=web_client(settings), process_before_response=True,
                    signing_secret=secret.get_secret_value() if secret else "",
                    oauth_settings=_oauth(advisor, settings), logger=log)
    Listeners(Dialogue(advisor), spawn).register(bolt)
    if bolt.installation_store is not None:
        # Uninstalling the app or revoking its token deletes the workspace's stored token.
        bolt.enable_token_revocation_listeners()
    else:
        bolt.event("app_uninstalled")(_uninstalled_single_workspace)
        bolt.event("tokens_revoked")(_uninstalled_single_workspace)
    return bolt


async def _uninstalled_single_workspace(context: AsyncBoltContext) -> None:
    """SLACK_BOT_TOKEN no longer works: say so (bolt acks the event, so Slack stops retrying)."""
    log.warning("the app was uninstalled or its token revoked: SLACK_BOT_TOKEN no longer works",
                extra={"workspace": context.team_id})


def _who(context: AsyncBoltContext, body: dict[str, Any]) -> Who:
    user = body.get("user")
    name = body.get("user_name") or (user.get("username") if isinstance(user, dict) else None)
    team = context.team_id or context.enterprise_id or ""
    return Who(team=team, user=context.user_id or "", name=name)


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
        bolt.action(re.compile(r"^(home_start|start_over)$"))(self.on_start_button)
        bolt.action("post_summary")(self.on_post)
        bolt.action(re.compile(r"^remind(_at)?$"))(self.on_remind)
        bolt.action("summary_channel")(self.on_pick)

    def _later(self, what: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.spawn(work(), f"slack {what}")

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext, respond: AsyncRespond) -> None:
        sub = (body.get("text") or "").strip().lower() or "start"
        who, channel = _who(context, body), body.get("channel_id", "")
        if sub == "history":
            await ack()
            self._later("history", lambda: self.dialogue.history(who, respond))
        elif sub in ("start", "restart", "cancel"):
            await ack(text=blocks.started_note(sub, channel))
            self._later(sub, lambda: self.dialogue.command(client, who, sub, channel,
                                                           body.get("trigger_id")))
        else:
            await ack(text=blocks.HELP)

    async def on_message(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await ack()
        event = body.get("event", {})
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        who, text = _who(context, body), event.get("text") or ""
        greeting = text.strip().lower().strip("!.") in GREETINGS
        self._later("message", lambda: self.dialogue.typed(
            client, who, text, event["channel"], body.get("event_id"), start=greeting))

    async def on_home(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        await ack()
        if body.get("event", {}).get("tab") == "home":
            self._later("home", lambda: self.dialogue.home(client, _who(context, body)))

    async def on_answer(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        ref, _, option = body["actions"][0]["value"].partition("|")
        self._later("answer", lambda: self.dialogue.click(
            client, _who(context, body), "answer", ref, option=option, clicked=_clicked(body)))

    async def on_control(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await ack()
        action = body["actions"][0]
        self._later(action["action_id"], lambda: self.dialogue.click(
            client, _who(context, body), action["action_id"], action["value"], option=None,
            clicked=_clicked(body)))

    async def on_start_button(self, ack: AsyncAck, body: dict[str, Any],
                              client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await ack()
        self._later("start", lambda: self.dialogue.command(
            client, _who(context, body), "start", None, body.get("trigger_id")))

    async def on_post(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                      context: AsyncBoltContext) -> None:
        await ack()
        picked = body.get("state", {}).get("values", {}).get("result", {})
        chosen = picked.get("summary_channel", {}).get("selected_conversation")
        self._later("post summary", lambda: self.dialogue.post_summary(
            client, _who(context, body), body["actions"][0]["value"], chosen,
            body.get("channel", {}).get("id")))

    async def on_remind(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                        context: AsyncBoltContext) -> None:
        await ack()
        action = body["actions"][0]
        self._later("remind", lambda: self.dialogue.remind(
            client, _who(context, body), action["action_id"], action["value"],
            body.get("channel", {}).get("id")))

    async def on_pick(self, ack: AsyncAck) -> None:
        await ack()  # the choice is read from the message state when Post summary is pressed


def _clicked(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The clicked message's channel and ts, and the click's id for idempotency."""
    container = body.get("container", {})
    return container.get("channel_id"), container.get("message_ts"), body.get("trigger_id")


async def mount(app: web.Application, advisor: Advisor, settings: Settings) -> None:
    """Add Slack to the server: /slack/events, the OAuth routes, and Socket Mode if configured."""
    check_settings(settings)
    bolt = build_bolt(advisor, settings, partial(spawn, app))

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

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
