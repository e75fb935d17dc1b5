"""The Teams side of the shared dialogues: activities to the real server, a fake Bot Connector."""

from __future__ import annotations

from pathlib import Path

from bot.core.outcomes import AnswerValue
from bot.store.base import ConversationKey
from tests.e2e.teams_harness import TENANT, TeamsHarness, path_of, question_of


class TeamsDriver:
    """Plays a user in a personal chat with the bot; reads the cards the bot sent back."""

    def __init__(self, tmp_path: Path, sdk: str = "agents") -> None:
        self.tmp_path = tmp_path
        self.harness = TeamsHarness(tmp_path, sdk)

    async def __aenter__(self) -> TeamsDriver:
        await self.harness.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.harness.__aexit__(*exc)

    async def start(self, user: str) -> None:
        await self.harness.say(user, "opensource-check")

    async def say(self, text: str, user: str) -> None:
        await self.harness.say(user, text)

    async def click(self, option_id: str, user: str) -> None:
        card = self.harness.open_card(user)
        assert card is not None, f"{user} has no open question"
        await self.harness.submit(user, card, self.harness.button(card, option_id))

    async def action(self, name: str, user: str) -> None:
        if name == "help":  # why-we-ask is shown in the card itself; typed help asks the bot
            await self.harness.say(user, "help")
            return
        card = self.harness.open_card(user)
        assert card is not None, f"{user} has no open question"
        await self.harness.submit(user, card, self.harness.button(card, action=name))

    async def open_question(self, user: str) -> str | None:
        card = self.harness.open_card(user)
        return question_of(card) if card is not None else None

    async def result_path(self, user: str) -> str | None:
        paths = [path_of(m) for m in self.harness.chat(user)]
        found = [p for p in paths if p is not None]
        return found[-1] if found else None

    async def last_text(self, user: str) -> str:
        return [m.text for m in self.harness.chat(user) if m.text][-1]

    async def answered(self, question: str, user: str) -> AnswerValue | None:
        key = ConversationKey("teams", TENANT, "checks", user)
        saved = await self.harness.advisor.current(key)
        return saved.answers.get(question) if saved is not None else None

    async def restart_server(self) -> None:
        await self.harness.restart()
