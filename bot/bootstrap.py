"""The composition root: settings -> store -> engine -> advisor -> platforms -> one server.

Tests build the same graph with other settings. Platform modules are imported only when their
settings are present, so a Slack-only deployment never imports botbuilder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.advisor import Advisor
from bot.core.engine import Engine
from bot.server import create_app, run_daily
from bot.settings import Settings
from bot.store.base import Store


class ConfigurationError(ValueError):
    """Missing or contradictory settings; the message says which setting to set."""


async def open_store(settings: Settings) -> Store:
    """The store the settings name, with its tables ready."""
    from bot.store.factory import create_store  # noqa: PLC0415  (drivers load on demand)

    store: Store = create_store(settings)
    await store.setup()
    return store


def check_platforms(settings: Settings, *, slack: bool | None,
                    teams: bool | None) -> tuple[bool, bool]:
    """Which platforms to serve; ConfigurationError when none is configured."""
    slack = settings.slack_enabled if slack is None else slack
    teams = settings.teams_enabled if teams is None else teams
    if not (slack or teams):
        raise ConfigurationError(
            "No platform configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or "
            "SLACK_APP_TOKEN, or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET) for Slack, or "
            "MICROSOFT_APP_ID for Teams (or run `serve --teams` for local anonymous mode).")
    if slack:
        import bot.platforms.slack as slack_platform  # noqa: PLC0415

        slack_platform.check_settings(settings)
    if teams:
        _check_teams(settings)
    return slack, teams


def _check_teams(settings: Settings) -> None:
    if settings.microsoft_app_id is None:
        return  # local anonymous mode, announced by the Teams edge at start-up
    if settings.microsoft_app_type != "UserAssignedMSI" and settings.microsoft_app_password is None:
        raise ConfigurationError("MICROSOFT_APP_ID is set: also set MICROSOFT_APP_PASSWORD (the "
                                 "bot's client secret), or MICROSOFT_APP_TYPE=UserAssignedMSI.")
    if settings.microsoft_app_type == "SingleTenant" and settings.microsoft_app_tenant_id is None:
        raise ConfigurationError("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID.")


async def build_app(settings: Settings, *, slack: bool | None = None,
                    teams: bool | None = None) -> web.Application:
    """The whole server for these settings. `slack`/`teams` force a platform on or off."""
    slack, teams = check_platforms(settings, slack=slack, teams=teams)
    store = await open_store(settings)
    advisor = Advisor(Engine.default(), store)
    app = create_app(advisor)
    run_daily(app, "history retention", lambda: _purge_history(store, settings))
    if slack:
        import bot.platforms.slack as slack_platform  # noqa: PLC0415

        await slack_platform.mount(app, advisor, settings)
    if teams:
        import bot.platforms.teams as teams_platform  # noqa: PLC0415

        await teams_platform.mount(app, advisor, settings)
    return app


async def _purge_history(store: Store, settings: Settings) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=settings.history_retention_days)
    await store.purge_history(cutoff)
