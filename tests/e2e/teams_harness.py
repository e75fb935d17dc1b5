"""The real server with Teams mounted, on an ephemeral port, talking to a fake Bot Connector.

Users are simulated by POSTing Bot Framework activities to /api/messages, as Teams does; the bot
answers through the chosen SDK's real connector client (`sdk`: the Microsoft 365 Agents SDK or
botbuilder) to the FakeConnector. The bot acknowledges
first and runs the turn in the background, so `post` waits for the background work to finish.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.advisor import Advisor
from bot.core.engine import Engine
from bot.platforms import teams
from bot.server import create_app
from bot.settings import Settings
from bot.store.factory import create_store
from tests.e2e.fake_connector import FakeConnector, Message
from tests.e2e.local_http import serve_locally, settle

SDKS = ("agents", "botbuilder")  # every Teams test runs once per SDK
TENANT = "T1"
BOT = {"id": "28:bot", "name": "opensource-check"}
TEAM = {"id": "19:team@thread.tacv2", "name": "Platform"}


def personal_chat(user: str) -> str:
    """The conversation id the fake connector gives a user's personal chat with the bot."""
    return f"a:personal-29:{user}"


class TeamsHarness:
    """Start, restart and stop the server; send activities; read what the bot sent."""

    def __init__(self, tmp_path: Path, sdk: str = "agents", openid_metadata: str | None = None,
                 **settings: Any) -> None:
        # A SQLite file, opened afresh by every start: a restart keeps only what was stored.
        self.settings = Settings(_env_file=None, teams_sdk=sdk,
                                 database_url=f"sqlite:///{tmp_path / 'teams.db'}", **settings)
        self.openid_metadata = openid_metadata
        self.connector = FakeConnector()
        self.engine = Engine.default()
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._ids = itertools.count(1)

    async def __aenter__(self) -> TeamsHarness:
        await self.connector.start()
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        await self.connector.close()

    async def start(self) -> None:
        store = create_store(self.settings)
        await store.setup()
        self.advisor = Advisor(self.engine, store)
        self.app = create_app(self.advisor)
        if self.openid_metadata is None:
            await teams.mount(self.app, self.advisor, self.settings)
        else:
            await teams.mount(self.app, self.advisor, self.settings, self.openid_metadata)
        self._runner, base_url = await serve_locally(self.app)
        self.url = f"{base_url}/api/messages"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # --- sending -----------------------------------------------------------------------------

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """POST one activity and wait until the bot has finished the turn; the HTTP status."""
        async with aiohttp.ClientSession() as http, http.post(
                self.url, json=activity, headers=headers) as response:
            status = response.status
        await self.settle()
        return status

    async def settle(self) -> None:
        """Wait until the work spawned after the answers is done."""
        assert self.app is not None
        await settle(self.app)

    def activity(self, user: str, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """A message activity from `user` in `conversation`."""
        return {"type": "message", "id": f"act{next(self._ids)}", "channelId": "msteams",
                "serviceUrl": self.connector.url, "recipient": BOT,
                "from": {"id": f"29:{user}", "aadObjectId": user, "name": f"User {user}"},
                "conversation": conversation, "channelData": {"tenant": {"id": TENANT}},
                **fields}

    def personal(self, user: str, **fields: Any) -> dict[str, Any]:
        """A message in the user's personal chat with the bot."""
        conversation = {"id": personal_chat(user), "conversationType": "personal",
                        "tenantId": TENANT}
        return self.activity(user, conversation, **fields)

    def in_channel(self, user: str, text: str, channel: str = TEAM["id"]) -> dict[str, Any]:
        """An @mention of the bot in a team channel."""
        conversation = {"id": channel, "conversationType": "channel", "isGroup": True,
                        "tenantId": TENANT}
        mention = {"type": "mention", "text": "<at>opensource-check</at>", "mentioned": BOT}
        activity = self.activity(user, conversation, text=f"<at>opensource-check</at> {text}",
                                 entities=[mention])
        activity["channelData"] = {"tenant": {"id": TENANT}, "team": TEAM,
                                   "channel": {"id": channel}}
        return activity

    def installed(self, channel: dict[str, str] | None = None, event: str | None = None,
                  action: str = "add") -> dict[str, Any]:
        """An installationUpdate (or, with `event`, a conversationUpdate) in a team."""
        data: dict[str, Any] = {"tenant": {"id": TENANT}, "team": TEAM}
        if channel is not None:
            data["channel"] = channel
        kind = "installationUpdate"
        if event is not None:
            data["eventType"], kind = event, "conversationUpdate"
        activity = self.activity("admin", {"id": TEAM["id"], "conversationType": "channel",
                                           "isGroup": True, "tenantId": TENANT},
                                 channelData=data, action=action)
        activity["type"] = kind
        return activity

    async def say(self, user: str, text: str) -> int:
        return await self.post(self.personal(user, text=text))

    async def submit(self, user: str, message: Message, data: dict[str, Any]) -> int:
        """A click on an Action.Submit of `message`: Teams sends its data as the value."""
        activity = self.activity(user, _conversation_of(message, user), value=data,
                                 replyToId=message.id)
        return await self.post(activity)

    # --- reading -----------------------------------------------------------------------------

    def chat(self, user: str) -> list[Message]:
        return self.connector.in_conversation(personal_chat(user))

    def open_card(self, user: str) -> Message | None:
        """The latest question card in the user's personal chat that still has buttons."""
        cards = [m for m in self.chat(user) if m.card and _answers(m.card)]
        return cards[-1] if cards else None

    def button(self, message: Message, option: str | None = None,
               action: str = "answer") -> dict[str, Any]:
        """The data of a button on a card: an answer's option, or back/cancel."""
        assert message.card is not None
        for data in _submits(message.card):
            if data["ocb"] == action and data.get("multiple") and option is not None:
                # Continue under the multi-select: `a+b` ticks a and b, as Teams sends them
                # merged into the submit's data, comma-separated; "" ticks none.
                return {**data, "choices": ",".join(o for o in option.split("+") if o)}
            if data["ocb"] == action and (option is None or data.get("option") == option):
                return data
        raise AssertionError(f"no {action} {option or ''} button on the card")


def _conversation_of(message: Message, user: str) -> dict[str, Any]:
    kind = "personal" if message.conversation == personal_chat(user) else "channel"
    return {"id": message.conversation, "conversationType": kind, "tenantId": TENANT}


def _submits(element: Any) -> list[dict[str, Any]]:
    """Every Action.Submit's data anywhere in a card."""
    found = []
    if isinstance(element, dict):
        if element.get("type") == "Action.Submit":
            found.append(element["data"])
        for value in element.values():
            found += _submits(value)
    elif isinstance(element, list):
        for value in element:
            found += _submits(value)
    return found


def _answers(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in _submits(card) if d["ocb"] == "answer"]


def question_of(message: Message) -> str:
    """The question id a question card asks."""
    assert message.card is not None
    return str(_answers(message.card)[0]["q"])


def path_of(message: Message) -> str | None:
    """The path id of a result card, from its headline's element id."""
    for element in (message.card or {}).get("body", []):
        if str(element.get("id", "")).startswith("path-"):
            return str(element["id"]).removeprefix("path-")
    return None
