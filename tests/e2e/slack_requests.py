"""Signed Slack requests for servers the test does not host (real `serve` processes), and a fake
Web API that says when it was called, so a test can wait for work done after the ack elsewhere.

The request bodies come from SlackTestbed's builders; ids carry a per-run token so that runs
sharing Redis (whose idempotency keys outlive a run) never see each other's trigger or event ids.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.e2e.fake_slack import FakeSlack, Posted
from tests.e2e.slack_testbed import FORM, SlackTestbed, slack_settings

TOKEN = "xoxb-T1-token"
TEAM = "T1"
WAIT_SECONDS = 45  # generous: a loaded CI machine must not fail a correct run


class WatchedSlack(FakeSlack):
    """FakeSlack that wakes `until` waiters after every Web API call it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Condition()

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        async with self.changed:
            self.changed.notify_all()
        return response

    async def until(self, done: Callable[[], bool]) -> None:
        """Wait until `done()` holds (checked after every call); TimeoutError after a while."""
        async with asyncio.timeout(WAIT_SECONDS), self.changed:
            await self.changed.wait_for(done)


class RunIds(SlackTestbed):
    """SlackTestbed's request builders with ids unique to this run; never started."""

    def __init__(self, fake: FakeSlack, tmp_path: Path, run: str) -> None:
        super().__init__(fake, slack_settings(fake, tmp_path))
        self.run = run

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{self.run}n{super().next_id('')}"


class SlackRequests:
    """Slack's side of the conversation, sent to whichever server URL the test names."""

    def __init__(self, fake: FakeSlack, tmp_path: Path, run: str,
                 http: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.bodies = RunIds(fake, tmp_path, run)
        self.http = http

    async def send(self, url: str, body: str, content_type: str) -> int:
        """POST a signed body to `url`/slack/events; the HTTP status of the ack."""
        headers = {"Content-Type": content_type, **self.bodies.sign(body)}
        async with self.http.post(f"{url}/slack/events", data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def command(self, url: str, user: str, text: str = "") -> int:
        return await self.send(url, self.bodies.command_body(user, text, team=TEAM), FORM)

    async def click(self, url: str, user: str, message: Posted, action_id: str) -> int:
        return await self.send(url, self.bodies.click_body(user, message, action_id, TEAM), FORM)

    async def dm(self, url: str, user: str, text: str) -> int:
        event = {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                 "text": text, "ts": f"{time.time():.6f}"}
        body = self.bodies.event_body(event, self.bodies.next_id("Ev"), TEAM)
        return await self.send(url, body, "application/json")
