"""Shared fixtures: one engine for the whole run, as in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.conversation import Conversation, Inbound
from bot.core.engine import Engine, Step

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


def typed(engine: Engine, conversation: Conversation, *texts: str) -> Step:
    """Type each text in turn into the conversation; the last turn's step."""
    step = None
    for text in texts:
        step = engine.advance(conversation, Inbound.typed(text), LATER)
        conversation = step.conversation
    assert step is not None, "type at least one text"
    return step


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default()
