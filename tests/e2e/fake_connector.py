"""A local fake Bot Connector: the REST API the bot calls back, recording everything it is sent.

Activities posted to the bot carry `serviceUrl` pointing here, so botbuilder's real connector
client talks HTTP to this server instead of smba.trafficmanager.net. `fail` makes a conversation
answer with an error status (403: bot removed from the team, 404: channel gone), and
`personal_status` does the same for creating personal chats. `outsiders` are users who are
members of no team (the roster lookup answers 404 for them); everyone else is in every team.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.e2e.local_http import serve_locally


@dataclass
class Message:
    """One activity the bot sent, with PUT updates applied."""

    id: str
    conversation: str
    activity: dict[str, Any]
    updates: int = 0

    @property
    def card(self) -> dict[str, Any] | None:
        """The Adaptive Card content, if the message is a card."""
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return dict(attachment["content"])
        return None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")


@dataclass
class FakeConnector:
    """The fake service: start() it, point activities' serviceUrl at `url`, read `messages`."""

    messages: list[Message] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    personal_status: int | None = None
    outsiders: set[str] = field(default_factory=set)
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{id}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{id}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        self._runner, base_url = await serve_locally(app)
        self.url = f"{base_url}/"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def in_conversation(self, conversation: str) -> list[Message]:
        """What the bot sent to one conversation, oldest first."""
        return [m for m in self.messages if m.conversation == conversation]

    def _refusal(self, conversation: str) -> web.Response | None:
        status = self.fail.get(conversation)
        if status is None:
            return None
        body = {"error": {"code": "Forbidden" if status == 403 else "NotFound",
                          "message": "refused by the fake connector"}}
        return web.json_response(body, status=status)

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        if member in self.outsiders:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation",
                                                "message": "not a member"}}, status=404)
        return web.json_response({"id": member, "name": f"User {member}"})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.personal_status is not None:
            return web.json_response({"error": {"code": "Forbidden", "message": "no"}},
                                     status=self.personal_status)
        self.created.append(body)
        return web.json_response({"id": f"a:personal-{body['members'][0]['id']}"})

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        refused = self._refusal(conversation)
        if refused is not None:
            return refused
        message = Message(id=f"m{next(self._ids)}", conversation=conversation,
                          activity=await request.json())
        self.messages.append(message)
        return web.json_response({"id": message.id})

    async def _update(self, request: web.Request) -> web.Response:
        conversation, activity_id = request.match_info["conversation"], request.match_info["id"]
        refused = self._refusal(conversation)
        if refused is not None:
            return refused
        for message in self.messages:
            if (message.id, message.conversation) == (activity_id, conversation):
                message.activity = copy.deepcopy(await request.json())
                message.updates += 1
                return web.json_response({"id": activity_id})
        return web.json_response({"error": {"code": "NotFound", "message": "no such activity"}},
                                 status=404)
