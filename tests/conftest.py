"""Shared fixtures: one engine for the whole run, as in production."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.engine import Engine

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default()
