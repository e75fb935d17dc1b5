"""The Slack driver for the shared scripted dialogues: the real server over real HTTP, every
request signed, Slack's Web API answered by the local fake (tests/e2e/fake_slack.py)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from bot.core.outcomes import PATH_TITLES, AnswerValue
from bot.store.base import ConversationKey
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.slack_testbed import SlackTestbed, open_question, slack_settings

PATHS_BY_TITLE = {title: path.value for path, title in PATH_TITLES.items()}


class SlackDriver:
    """Plays a Slack user: the slash command, DM replies and button clicks."""

    def __init__(self, tmp_path: Path) -> None:
        self.fake = FakeSlack()
        self.tmp_path = tmp_path
        self.bed: SlackTestbed | None = None

    async def __aenter__(self) -> SlackDriver:
        await self.fake.start()
        self.bed = SlackTestbed(self.fake, slack_settings(self.fake, self.tmp_path))
        await self.bed.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self.bed is not None:
            await self.bed.stop()
        await self.fake.stop()

    @property
    def _bed(self) -> SlackTestbed:
        assert self.bed is not None, "use the driver as an async context manager"
        return self.bed

    async def start(self, user: str) -> None:
        status, _ = await self._bed.command(user)
        assert status == 200

    async def say(self, text: str, user: str) -> None:
        assert await self._bed.dm(user, text) == 200

    async def click(self, option_id: str, user: str) -> None:
        await self._press(f"answer:{option_id}", user)

    async def action(self, name: str, user: str) -> None:
        await self._press(name, user)

    async def open_question(self, user: str) -> str | None:
        found = open_question(self.fake.dm(user))
        return found[0] if found else None

    async def result_path(self, user: str) -> str | None:
        for message in reversed(self.fake.dm(user)):
            headers = [b for b in message.blocks if b["type"] == "header"]
            if message.text.startswith("Recommendation:") and headers:
                return PATHS_BY_TITLE[headers[0]["text"]["text"]]
        return None

    async def last_text(self, user: str) -> str:
        return [m.text for m in self.fake.dm(user) if m.user is None][-1]

    async def answered(self, question: str, user: str) -> AnswerValue | None:
        assert self._bed.advisor is not None
        saved = await self._bed.advisor.current(ConversationKey("slack", "T1", "dm", user))
        return saved.answers.get(question) if saved is not None else None

    async def restart_server(self) -> None:
        await self._bed.restart()

    async def _press(self, action_id: str, user: str) -> None:
        found = open_question(self.fake.dm(user))
        assert found is not None, f"{user} has no open question"
        assert await self._bed.click(user, found[1], action_id) == 200
