"""Fixtures the end-to-end tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.fake_slack import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """Slack's Web API, faked over real HTTP on an ephemeral port (a test module whose fake is
    another platform's defines its own `fake`)."""
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()
