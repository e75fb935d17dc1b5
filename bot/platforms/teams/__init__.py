"""The Microsoft Teams edge, on the Microsoft 365 Agents SDK (default) or botbuilder 4.17.1.

`dialogue` (turns), `channels` (where summaries go), `auth` (incoming tokens) and the cards in
`bot.platforms.teams.cards` are shared; `agents` and `botbuilder` each implement the small
`connector.Connector` interface (the Bot Connector calls), and only the one TEAMS_SDK names is
imported, when Teams is served.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.advisor import Advisor
from bot.platforms.teams.auth import OPENID_METADATA, ChannelTokens
from bot.platforms.teams.connector import Connector, Credentials, load
from bot.platforms.teams.dialogue import NOT_YOURS, TeamsEdge
from bot.server import REVIEWS, run_daily
from bot.settings import Settings

__all__ = ["CONNECTOR", "NOT_YOURS", "mount"]

log = logging.getLogger(__name__)

CONNECTOR: web.AppKey[Connector] = web.AppKey("teams_connector", Connector)


def credentials_of(settings: Settings) -> Credentials:
    """The MICROSOFT_APP_* settings, the same for both SDKs."""
    password = settings.microsoft_app_password
    return Credentials(app_id=settings.microsoft_app_id,
                       password=password.get_secret_value() if password else None,
                       tenant_id=settings.microsoft_app_tenant_id,
                       app_type=settings.microsoft_app_type)


async def mount(app: web.Application, advisor: Advisor, settings: Settings,
                openid_metadata: str = OPENID_METADATA) -> None:
    """Serve Teams at POST /api/messages on the shared server."""
    credentials = credentials_of(settings)
    if not credentials.app_id:
        log.warning("Teams runs in local anonymous mode: MICROSOFT_APP_ID is not set, so requests "
                    "are not authenticated. Use this only with the Microsoft 365 Agents "
                    "Playground.")
    connector = app[CONNECTOR] = load(settings.teams_sdk, credentials)
    tokens = ChannelTokens(credentials.app_id, openid_metadata) if credentials.app_id else None
    edge = TeamsEdge(advisor, connector, tokens, settings.tenant_allow_list)
    app.router.add_post("/api/messages", edge.messages)
    desk = app.get(REVIEWS)
    if desk is not None and desk.enabled:
        from bot.platforms.teams.review import TeamsReviews  # noqa: PLC0415  (with a policy)

        edge.reviews = TeamsReviews(desk, advisor, connector, edge._render, edge._personal_chat)
        run_daily(app, "teams review reminders", edge.reviews.daily)

    async def close_clients(_: web.Application) -> None:
        await connector.close()
        if tokens is not None:
            await tokens.close()

    app.on_cleanup.append(close_clients)
