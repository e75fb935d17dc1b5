"""The one small interface between the Teams edge and a Microsoft SDK: the Bot Connector calls.

The edge (dialogue, cards, channels, authentication of incoming requests) is shared; what an SDK
does for it is call the Bot Connector REST API back with the bot's own token. Each SDK module
(`agents`, `botbuilder`) implements `Connector`, and `load` imports only the one chosen, so a
Slack-only server, or Teams on the other SDK, never imports it.

Every call is bounded by `CALL_TIMEOUT_SECONDS` (the SDK module sets its HTTP client's timeout,
and the edge wraps the call too); a failure the Bot Connector answered is a `ConnectorError`
with its status, a call that took too long is a `ConnectorError` without one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

CALL_TIMEOUT_SECONDS = 10.0  # Teams itself gives a turn 15 s; a stuck call must not outlive it
Sdk = Literal["agents", "botbuilder"]


class ConnectorError(Exception):
    """The Bot Connector refused or did not answer; `status` is its HTTP status, if any."""

    def __init__(self, status: int | None, message: str = "") -> None:
        super().__init__(message or f"Bot Connector call failed (status {status})")
        self.status = status


@dataclass(frozen=True)
class Credentials:
    """The bot's registration (MICROSOFT_APP_*); no app id means local anonymous mode."""

    app_id: str | None
    password: str | None
    tenant_id: str | None
    app_type: str


class Connector(Protocol):
    """The Bot Connector calls the edge makes; one client per service URL, reused."""

    sdk: str

    async def send(self, service_url: str, conversation: str, activity: dict[str, Any],
                   reply_to: str | None = None) -> str:
        """Send (or, with `reply_to`, reply with) an activity; the id Teams gave it."""

    async def update(self, service_url: str, conversation: str, activity_id: str,
                     activity: dict[str, Any]) -> None:
        """Replace a sent activity (a card) with `activity`."""

    async def create_personal_chat(self, service_url: str, tenant: str, bot: dict[str, Any],
                                   user: dict[str, Any]) -> str:
        """The id of the user's personal chat with the bot (created if need be)."""

    async def is_member(self, service_url: str, team: str, user: str) -> bool:
        """Whether `user` is on the team's roster (False when Teams answers 404)."""

    async def close(self) -> None:
        """Close the HTTP clients and the thread pool, if any."""


def load(sdk: Sdk, credentials: Credentials) -> Connector:
    """The chosen SDK's connector; only its module, and so only its SDK, is imported."""
    module = importlib.import_module(f"bot.platforms.teams.{sdk}")
    connector: Connector = module.SdkConnector(credentials)
    return connector
