"""A whole check through Microsoft's own test client: `serve --teams`, the playground, Chromium.

Run by tests/e2e/test_teams_playground.py inside a network namespace with only loopback (the
page asks an outside CDN for fonts): `python -m tests.e2e.playground_driver SDK OUT_DIR`. It
starts the real server (anonymous local mode) and the playground on free ports, drives the
playground's page with Playwright and Debian's chromium (no browser download): types messages in
the page's text box and clicks the buttons of the cards (`.ac-adaptiveCard`). It knows the bot
has answered from the playground's WebSocket streams: the conversation stream carries every
message the bot sends or updates, the log stream every HTTP exchange with its status. It writes
OUT_DIR/outcome.json (what happened, every status seen) and OUT_DIR/teams-result.png (the result
card), and exits 0 when the check ran to its result; the test judges the outcome.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, WebSocket, async_playwright

from bot.core.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / ".ci" / "playground" / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path("/usr/bin/chromium")
WAIT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Any, what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what}")


def healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
        return bool(answer.status == 200)


class Streams:
    """What the playground's WebSocket streams said, and a way to wait for more."""

    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []  # log stream: activity, direction, status
        self.messages: list[dict[str, Any]] = []  # conversation stream: created/updated messages
        self.changed = asyncio.Event()

    def attach(self, socket_: WebSocket) -> None:
        socket_.on("framereceived", lambda frame: self._frame(socket_.url, frame))

    def _frame(self, url: str, frame: str | bytes) -> None:
        data = json.loads(frame)
        log = data.get("log") if isinstance(data, dict) else None
        if url.endswith("/_ws/log/stream") and isinstance(log, dict) and "response" in log:
            self.exchanges.append({"activity": log.get("activityName"), "from": log.get("from"),
                                   "text": log.get("displayText", "")[:80],
                                   "status": log["response"].get("statusCode")})
        elif isinstance(data, dict) and data.get("action") in ("createMessage", "updateMessage"):
            self.messages.append({"action": data["action"], **data.get("message", {})})
        self.changed.set()

    async def wait_for_exchange(self, activity: str, seen: int) -> None:
        """Until the log stream shows an `activity` answered, after the first `seen`."""
        while not any(e["activity"] == activity for e in self.exchanges[seen:]):
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), WAIT_SECONDS)

    async def wait_for(self, condition: Any, what: str, seen: int) -> dict[str, Any]:
        """The first message after the first `seen` meeting `condition`, once it arrives."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while True:
            for message in self.messages[seen:]:
                if condition(message):
                    return message
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"the bot never sent {what}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue


def card_of(message: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in message.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return dict(attachment.get("content") or {})
    return None


def asks(prompt: str) -> Any:
    def check(message: dict[str, Any]) -> bool:
        card = card_of(message)
        return (message["action"] == "createMessage" and card is not None
                and prompt in json.dumps(card) and "actions" in json.dumps(card))
    return check


def result_card(message: dict[str, Any]) -> bool:
    card = card_of(message) or {}
    return any(str(e.get("id", "")).startswith("path-") for e in card.get("body", []))


def says(text: str) -> Any:
    return lambda message: text in str(message.get("text") or "")


class User:
    """Alex Wilber, the playground's user, at the page."""

    def __init__(self, page: Page, streams: Streams) -> None:
        self.page, self.streams = page, streams

    async def type(self, text: str, then: Any, what: str) -> dict[str, Any]:
        """Type a message and send it; the bot's message that answers it."""
        seen = len(self.streams.messages)
        box = self.page.get_by_role("textbox").last
        await box.click()
        await self.page.keyboard.type(text)
        await self.page.keyboard.press("Enter")
        return await self.streams.wait_for(then, what, seen)

    async def click(self, label: str, then: Any, what: str) -> dict[str, Any]:
        """Click a button of the newest card; the bot's message that answers it."""
        seen = len(self.streams.messages)
        card = self.page.locator(".ac-adaptiveCard").last
        await card.get_by_role("button", name=label, exact=True).click()
        return await self.streams.wait_for(then, what, seen)


async def check(page: Page, streams: Streams, out: Path) -> dict[str, Any]:
    """A whole check: typed and clicked answers, back, help, the result, the summary post."""
    flow = Engine.default().flow
    question = {q.id: q for q in flow.questions}
    label = {(q.id, o.id): o.label for q in flow.questions for o in q.options}
    user = User(page, streams)
    # In a team channel: installing there (opening it) tells the bot the team's channels; an
    # @mention asks for a check, whose questions then come in the personal chat.
    installed = len(streams.exchanges)
    await page.locator('[aria-label="My Team - General"]').click()
    await streams.wait_for_exchange("installationUpdate", installed)
    seen = len(streams.messages)
    await page.get_by_role("textbox").last.click()
    await page.keyboard.type("@")
    await page.get_by_text("Test Bot", exact=True).click()
    await page.keyboard.type(" opensource-check")
    await page.get_by_role("button", name="Post", exact=True).click()
    await streams.wait_for(asks(question["upstream"].prompt), "the first question", seen)
    mention = {"answered in the channel": [m.get("text") for m in streams.messages[seen:]
                                           if m.get("text")]}
    await page.locator('[aria-label="Personal Chat"]').click()
    await page.locator(".ac-adaptiveCard").last.wait_for()
    await user.click(label["upstream", "fork"], asks(question["upstream_health"].prompt),
                     "the second question")
    await user.click("Back", asks(question["upstream"].prompt), "the first question again")
    await user.click(label["upstream", "fork"], asks(question["upstream_health"].prompt),
                     "the second question again")
    await user.type("help", lambda m: "back" in str(m.get("text") or "").lower(), "help")
    await user.click(label["upstream_health", "active"], asks(question["confidential"].prompt),
                     "the confidentiality question")
    await user.type(label["confidential", "none"], asks(question["differentiator"].prompt),
                    "the differentiator question")  # a typed answer
    await user.click(label["differentiator", "no"], asks(question["obligations"].prompt),
                     "the obligations question")
    await user.type("none", asks(question["ownership"].prompt),
                    "the ownership question")  # several answers may be typed; none applies
    await user.click(label["ownership", "yes"], asks(question["entities"].prompt),
                     "the entities question")
    result = await user.click(label["entities", "one"], result_card, "the result card")
    await page.locator(".ac-adaptiveCard").last.wait_for()
    await page.wait_for_timeout(300)  # let the card settle for the picture
    await page.locator(".ac-adaptiveCard").last.screenshot(path=str(out / "teams-result.png"))
    path = next(e["id"] for e in (card_of(result) or {})["body"]
                if str(e.get("id", "")).startswith("path-"))
    outcome: dict[str, Any] = {**mention, "result": path}
    if "Post summary" in json.dumps(card_of(result)):
        posted = await user.click("Post summary", says("Posted the summary"),
                                  "the summary notice")
        outcome["posted"] = posted.get("text")
    return outcome


async def browse(playground_port: int, out: Path) -> dict[str, Any]:
    """Chromium at the playground's page, through the check; what happened."""
    streams = Streams()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("websocket", streams.attach)
        await page.goto(f"http://127.0.0.1:{playground_port}/", wait_until="domcontentloaded")
        try:
            outcome = await check(page, streams, out)
        except (TimeoutError, PlaywrightError) as error:
            await page.screenshot(path=str(out / "failure.png"))
            outcome = {"error": repr(error)}
        await browser.close()
    outcome["exchanges"] = streams.exchanges
    return outcome


def drive(sdk: str, out: Path) -> dict[str, Any]:
    """The server and the playground on free ports, then the browser; both stopped after."""
    bot_port, playground_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(bot_port), "HOST": "127.0.0.1", "TEAMS_SDK": sdk,
           "DATABASE_URL": f"sqlite:///{out / 'playground.db'}", "LOG_LEVEL": "WARNING"}
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "SLACK_BOT_TOKEN",
                 "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "REDIS_URL"):
        env.pop(name, None)
    with (out / "server.log").open("w") as server_log, \
            (out / "playground.log").open("w") as playground_log:
        server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--teams"],
                                  env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
        playground = subprocess.Popen(
            [str(PLAYGROUND), "-e", f"http://127.0.0.1:{bot_port}/api/messages", "-c",
             "msteams", "--dt", "-p", str(playground_port)],
            env={**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}, cwd=out,
            stdout=playground_log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: healthy(bot_port), "the bot's /healthz")
            wait_until(lambda: "Listening on" in (out / "playground.log").read_text(),
                       "the playground")
            return asyncio.run(browse(playground_port, out))
        finally:
            for process in (playground, server):
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def main() -> int:
    sdk, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    outcome = drive(sdk, out)
    (out / "outcome.json").write_text(json.dumps(outcome, indent=2), encoding="utf-8")
    return 1 if "error" in outcome else 0


if __name__ == "__main__":
    sys.exit(main())
