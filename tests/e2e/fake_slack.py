"""A local fake of Slack's Web API over real HTTP: it records every call, keeps the messages it was
asked to post or update, and can answer with scripted errors (not_in_channel, 429 + Retry-After).
It also plays OAuth (workspace and org-wide installs, token rotation with refresh tokens), modals
(views.open and views.update with Slack's hash check) and custom functions (functions.complete*).

Point the app's SLACK_API_URL at `fake.api_url`; slash command response_urls at `fake.hooks_url`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e.local_http import serve_locally

TEAM_TOKENS = {"xoxb-T1-token": "T1"}


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    token: str | None
    params: dict[str, Any]


@dataclass
class Failure:
    """Answer `method` with an error (or an HTTP status) `times` times, when `when` matches."""

    method: str
    error: str | None = None
    status: int = 200
    retry_after: int | None = None
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Posted:
    """A message the app posted, as it looks now (after any chat.update)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user: str | None = None  # set for ephemeral messages: who sees them


class FakeSlack:
    """The fake Web API; start() binds an ephemeral port."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.messages: list[Posted] = []
        # The same messages by channel: a burst test waits on hundreds of DMs at once, and a
        # scan of every message per waiter per call made the test itself the bottleneck.
        self._by_channel: dict[str, list[Posted]] = {}
        self.responses: list[dict[str, Any]] = []
        self.tokens = dict(TEAM_TOKENS)
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self.socket: web.WebSocketResponse | None = None  # the app's Socket Mode connection
        self.socket_acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_open = asyncio.Event()
        self.oauth_team = ("T2", "xoxb-T2-token")
        self.oauth_enterprise: str | None = None  # set: installs are org-wide for this org
        self.rotating = False  # installs hand out expiring tokens and refresh tokens
        self.expires_in = 43200  # Slack's rotating tokens live 12 hours
        self.expired: set[str] = set()  # access tokens Slack now answers with token_expired
        self.refresh_tokens: dict[str, str] = {}  # live refresh token -> who it installs
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the view as shown now
        self._rotations = itertools.count(1)
        self.groups: dict[str, list[str]] = {}  # user group id -> member ids
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def hooks_url(self) -> str:
        return f"{self.url}/hooks"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs a few read methods
        app.router.add_post("/hooks/{rest:.*}", self._hook)
        app.router.add_get("/link", self._link)
        self._runner, self.url = await serve_locally(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, method: str, error: str | None = None, **options: Any) -> None:
        """Script an error answer for the next matching call(s)."""
        self.failures.append(Failure(method, error, **options))

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def dm(self, user: str) -> list[Posted]:
        """Every message in the user's DM with the bot, oldest first."""
        return list(self._by_channel.get(f"D{user}", ()))

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for name in ("blocks", "view", "outputs"):
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self.calls.append(Call(method, token or params.get("token"), params))
        await asyncio.sleep(self.delays.get(method, 0))
        failure = self._failure(method, params)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            body = {"ok": False, "error": failure.error or "ratelimited"}
            return web.json_response(body, status=failure.status, headers=headers)
        if method == "apps.connections.open" and (token or "").startswith("xapp-"):
            return web.json_response({"ok": True, "url": f"{self.url.replace('http', 'ws')}/link"})
        if method != "oauth.v2.access" and token in self.expired:
            return web.json_response({"ok": False, "error": "token_expired"})
        if method != "oauth.v2.access" and token not in self.tokens and not (
                token or "").startswith("xwfp-"):  # function execution tokens are Slack's own
            return web.json_response({"ok": False, "error": "invalid_auth"})
        try:
            answer = self._answer(method, params, token)
        except SlackError as error:
            return web.json_response({"ok": False, "error": str(error)})
        return web.json_response({"ok": True, **answer})

    async def _hook(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then collect the app's acks until it hangs up."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self.socket = socket
        self.socket_open.set()
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                await self.socket_acks.put(json.loads(message.data))
        return socket

    async def deliver(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Send one Socket Mode envelope to the app and wait for its ack."""
        await asyncio.wait_for(self.socket_open.wait(), timeout=5)
        assert self.socket is not None
        await self.socket.send_json(envelope)
        return await asyncio.wait_for(self.socket_acks.get(), timeout=5)

    def _failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and failure.times > 0 and (
                    failure.when is None or failure.when(params)):
                failure.times -= 1
                return failure
        return None

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel.startswith("U"):
            channel = f"D{channel}"  # posting to a user id posts in the bot's DM with them
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "auth.test": lambda: self._auth(token),
            "chat.postMessage": lambda: self._post(channel, params, None),
            "chat.postEphemeral": lambda: {
                "message_ts": self._post(channel, params, params["user"])["ts"]},
            "chat.update": lambda: self._update(channel, params),
            "chat.scheduleMessage": lambda: {"channel": channel, "scheduled_message_id": "Q1",
                                             "post_at": params["post_at"]},
            "oauth.v2.access": lambda: self._oauth(params),
            "views.open": lambda: self._open_view(params),
            "views.update": lambda: self._update_view(params),
            "usergroups.users.list": lambda: {
                "users": self.groups.get(str(params.get("usergroup")), [])},
        }
        return answers.get(method, dict)()

    def _auth(self, token: str | None) -> dict[str, Any]:
        team = self.tokens[token or ""]
        return {"team_id": team, "user_id": f"UBOT{team}", "bot_id": f"B{team}"}

    def _update(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        for message in self._by_channel.get(channel, ()):
            if message.ts == params["ts"]:
                message.text, message.blocks = params["text"], params.get("blocks", [])
        return {"channel": channel, "ts": params["ts"]}

    def _post(self, channel: str, params: dict[str, Any], user: str | None) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        posted = Posted(channel, ts, params.get("text", ""), params.get("blocks", []), user)
        self.messages.append(posted)
        self._by_channel.setdefault(channel, []).append(posted)
        return {"channel": channel, "ts": ts}

    def _oauth(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token")))
        team, token = self.oauth_team
        org = self.oauth_enterprise
        self.tokens[token] = org or team
        answer = {"access_token": token, "token_type": "bot", "scope": "chat:write,commands",
                  "bot_user_id": f"UBOT{team}", "app_id": "A1",
                  "team": None if org else {"id": team, "name": f"Team {team}"},
                  "enterprise": {"id": org, "name": f"Org {org}"} if org else None,
                  "is_enterprise_install": org is not None, "authed_user": {"id": "U9"}}
        return {**answer, **self._rotation(org or team)}

    def _rotation(self, installed: str) -> dict[str, Any]:
        if not self.rotating:
            return {}
        refresh = f"xoxe-1-refresh-{next(self._rotations)}"
        self.refresh_tokens[refresh] = installed
        return {"refresh_token": refresh, "expires_in": self.expires_in}

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        """grant_type=refresh_token: a new access token and refresh token; the old access
        token keeps working until it expires, as Slack's do."""
        installed = self.refresh_tokens.get(refresh_token)
        if installed is None:
            raise SlackError("invalid_refresh_token")
        token = f"xoxe.xoxb-{installed}-rotated-{next(self._rotations)}"
        self.tokens[token] = installed
        return {"access_token": token, "token_type": "bot", "scope": "chat:write,commands",
                **self._rotation(installed)}

    def expire(self, token: str) -> None:
        """From now on, calls with `token` fail with token_expired."""
        self.expired.add(token)

    def _open_view(self, params: dict[str, Any]) -> dict[str, Any]:
        if not str(params.get("trigger_id", "")).startswith("trigger"):
            raise SlackError("invalid_trigger_id")
        view_id = f"V{next(self._ts)}"
        return {"view": self._show(view_id, params["view"])}

    def _update_view(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = str(params.get("view_id"))
        shown = self.views.get(view_id)
        if shown is None:
            raise SlackError("not_found")
        if params.get("hash") is not None and params["hash"] != shown["hash"]:
            raise SlackError("hash_conflict")  # someone updated the view since it was read
        return {"view": self._show(view_id, params["view"])}

    def _show(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        shown = {**view, "id": view_id, "hash": f"hash-{next(self._ts)}", "state": {"values": {}}}
        self.views[view_id] = shown
        return shown


class SlackError(Exception):
    """An `ok: false` answer with this error code."""
