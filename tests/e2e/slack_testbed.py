"""The real server with Slack mounted, on an ephemeral port, driven by requests signed for real.

Slack's Web API is the local FakeSlack. `settle()` waits for the work the app does after its ack.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.advisor import Advisor
from bot.core.engine import Engine
from bot.platforms.slack.app import mount
from bot.server import create_app
from bot.settings import Settings
from bot.store.base import Store
from bot.store.factory import create_store
from tests.e2e.fake_slack import FakeSlack, Posted
from tests.e2e.local_http import serve_locally, settle

SIGNING_SECRET = "test-signing-secret"
StoreFactory = Callable[[], Awaitable[Store]]
FORM = "application/x-www-form-urlencoded"


def slack_settings(fake: FakeSlack, tmp_path: Path, **overrides: Any) -> Settings:
    """One workspace (T1) over HTTP, with the SQLite file store in tmp_path."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-T1-token", "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url, "database_url": f"sqlite:///{tmp_path / 'slack.db'}"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def store_factory(settings: Settings) -> StoreFactory:
    """The store the settings name (SQLite in tmp_path): a restart reopens the same file."""

    async def open_store() -> Store:
        store = create_store(settings)
        await store.setup()
        return store

    return open_store


class SlackTestbed:
    """Start, restart and talk to the server as Slack would."""

    def __init__(self, fake: FakeSlack, settings: Settings,
                 make_store: StoreFactory | None = None, **app_options: Any) -> None:
        self.fake = fake
        self.app_options = app_options  # create_app's keyword arguments (e.g. turn_limit)
        self.settings = settings
        self.make_store = make_store or store_factory(settings)
        self.app: web.Application | None = None
        self.advisor: Advisor | None = None
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.url = ""

    async def start(self) -> None:
        self.advisor = Advisor(Engine.default(), await self.make_store())
        self.app = create_app(self.advisor, **self.app_options)
        await mount(self.app, self.advisor, self.settings)
        self._runner, self.url = await serve_locally(self.app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settle(self) -> None:
        """Wait until the work spawned after the acks (and any it spawned) is done."""
        assert self.app is not None
        await settle(self.app)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    # --- raw signed requests ----------------------------------------------------------------

    def sign(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp,
                                                                         body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def send(self, body: str, content_type: str, headers: dict[str, str] | None = None,
                   *, settle: bool = True) -> tuple[int, str]:
        """POST to /slack/events; signed unless `headers` bring their own signature."""
        all_headers = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.url}/slack/events", data=body, headers=all_headers) as response:
            status, text = response.status, await response.text()
        if settle:
            await self.settle()
        return status, text

    # --- what Slack sends -------------------------------------------------------------------

    def command_body(self, user: str, text: str = "", channel: str = "C1",
                     team: str = "T1") -> str:
        return urlencode({
            "token": "legacy", "team_id": team, "channel_id": channel, "user_id": user,
            "user_name": user.lower(), "command": "/opensource-check", "text": text,
            "api_app_id": "A1", "trigger_id": self.next_id("trigger"),
            "response_url": f"{self.fake.hooks_url}/commands/{team}/{user}"})

    async def command(self, user: str, text: str = "", channel: str = "C1",
                      team: str = "T1") -> tuple[int, str]:
        return await self.send(self.command_body(user, text, channel, team), FORM)

    def event_body(self, event: dict[str, Any], event_id: str, team: str = "T1") -> str:
        return json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A1",
                           "type": "event_callback", "event_id": event_id,
                           "event_time": int(time.time()), "event": event})

    async def dm(self, user: str, text: str, team: str = "T1") -> int:
        event = {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                 "text": text, "ts": f"{time.time():.6f}"}
        status, _ = await self.send(self.event_body(event, self.next_id("Ev"), team),
                                    "application/json")
        return status

    def click_body(self, user: str, message: Posted, action_id: str, team: str = "T1",
                   selected: str | None = None) -> str:
        """A click on `action_id`. On a question that takes several answers, `answer:a+b` ticks
        the boxes a and b in the message's state and presses Continue (`answer:` alone ticks
        none), as Slack sends it: the ticked options are in `state.values`."""
        state: dict[str, Any] = {}
        if action_id.startswith("answer:") and has_checkboxes(message):
            ticked = [o for o in action_id.removeprefix("answer:").split("+") if o]
            state = checkbox_state(message, ticked)
            action_id = "continue"
        block_id, element = find_element(message, action_id)
        if selected is not None:
            state = {"result": {"summary_channel": {"type": "conversations_select",
                                                    "selected_conversation": selected}}}
        payload = {
            "type": "block_actions", "team": {"id": team}, "api_app_id": "A1",
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "container": {"type": "message", "message_ts": message.ts,
                          "channel_id": message.channel, "is_ephemeral": False},
            "channel": {"id": message.channel}, "trigger_id": self.next_id("trigger"),
            "message": {"ts": message.ts, "text": message.text, "blocks": message.blocks},
            "state": {"values": state},
            "response_url": f"{self.fake.hooks_url}/actions/{team}/{user}",
            "actions": [{"type": element["type"], "action_id": action_id, "block_id": block_id,
                         "value": element.get("value"), "action_ts": f"{time.time():.6f}"}]}
        return urlencode({"payload": json.dumps(payload)})

    async def click(self, user: str, message: Posted, action_id: str, team: str = "T1",
                    selected: str | None = None) -> int:
        status, _ = await self.send(self.click_body(user, message, action_id, team, selected),
                                    FORM)
        return status


def has_checkboxes(message: Posted) -> bool:
    """Whether the message is a question that takes several answers."""
    return any(e.get("type") == "checkboxes" for b in message.blocks
               for e in b.get("elements", []))


def checkbox_state(message: Posted, ticked: list[str]) -> dict[str, Any]:
    """The `state.values` Slack sends with a click on a message whose checkboxes are ticked."""
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("type") == "checkboxes":
                options = [o for o in element["options"] if o["value"] in ticked]
                assert len(options) == len(ticked), f"no such options: {ticked}"
                return {block["block_id"]: {element["action_id"]: {
                    "type": "checkboxes", "selected_options": options}}}
    raise LookupError(f"no checkboxes in {message.text!r}")


def find_element(message: Posted, action_id: str) -> tuple[str, dict[str, Any]]:
    """The block id and element of the interactive element with this action id."""
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return block["block_id"], element
    raise LookupError(f"no {action_id} in {message.text!r}")


def open_question(messages: list[Posted]) -> tuple[str, Posted] | None:
    """The question id and message of the latest message with buttons, if it is a question."""
    for message in reversed(messages):
        ids = [b.get("block_id", "") for b in message.blocks if b["type"] == "actions"]
        if message.user is None and ids:
            question = next((i.removeprefix("answers:") for i in ids
                             if i.startswith("answers:")), None)
            return (question, message) if question else None
    return None
