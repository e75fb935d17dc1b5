"""The composition root: settings -> store -> engine -> advisor -> platforms -> one server.

Tests build the same graph with other settings. Platform modules are imported only when their
settings are present, so a Slack-only deployment never imports botbuilder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.advisor import Advisor
from bot.core.engine import Engine
from bot.errors import ConfigurationError, StoreUnavailableError
from bot.policy import Policy, PolicyError, load_policy
from bot.review import ReviewDesk
from bot.server import REVIEWS, create_app, run, run_daily
from bot.settings import Settings
from bot.store.base import Store

__all__ = ["ConfigurationError", "bind_host", "build_app", "check_platforms", "open_store",
           "serve"]

log = logging.getLogger(__name__)


async def open_store(settings: Settings) -> Store:
    """The store the settings name, with its tables ready.

    ConfigurationError when DATABASE_URL is not a URL the store takes; StoreUnavailableError,
    naming the setting and the server (never the password), when the database cannot be
    reached or created.
    """
    from bot.store.factory import create_store, is_outage  # noqa: PLC0415  (drivers on demand)

    try:
        store: Store = create_store(settings)
    except ValueError as error:  # the scheme: the message names DATABASE_URL
        raise ConfigurationError(str(error)) from None
    except OSError as error:  # SQLite's folder cannot be created
        raise StoreUnavailableError(f"cannot create the database of DATABASE_URL "
                                    f"({_where(settings.database_url)}): "
                                    f"{error.strerror or error}") from None
    try:
        await store.setup()
    except Exception as error:
        with contextlib.suppress(Exception):
            await store.close()
        if isinstance(error, StoreUnavailableError | OSError | TimeoutError) or is_outage(error):
            raise StoreUnavailableError(
                f"the database of DATABASE_URL ({_where(settings.database_url)}) did not "
                f"answer: {_reason(error)}") from error
        raise
    return store


def _where(url: str) -> str:
    """The database URL without its password, as a message may show it."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  (an unparsable URL: show its scheme only)
        return url.split(":", 1)[0] + ":..."


def _reason(error: BaseException) -> str:
    """The first line of the driver's own words (SQLAlchemy wraps them with a long preamble)."""
    cause = getattr(error, "orig", None) or error.__cause__ or error
    text = str(cause).strip().splitlines()
    return text[0] if text and text[0] else type(cause).__name__


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
        import bot.platforms.slack.app as slack_platform  # noqa: PLC0415

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


def configured_policy(settings: Settings) -> Policy | None:
    """The company policy POLICY_FILE names (None without one); ConfigurationError naming the
    file, the key and the problem when it cannot be used."""
    if settings.policy_file is None:
        return None
    try:
        return load_policy(settings.policy_file)
    except PolicyError as error:
        raise ConfigurationError(f"POLICY_FILE {error}") from None


async def build_app(settings: Settings, *, slack: bool | None = None,
                    teams: bool | None = None) -> web.Application:
    """The whole server for these settings. `slack`/`teams` force a platform on or off."""
    slack, teams = check_platforms(settings, slack=slack, teams=teams)
    policy = configured_policy(settings)
    store = await open_store(settings)
    advisor = Advisor(Engine.default(), store, policy=policy)
    app = create_app(advisor, metrics_port=settings.metrics_port,
                     turn_limit=settings.max_turns_in_flight)
    app[REVIEWS] = ReviewDesk(store, policy)
    run_daily(app, "history retention", lambda: _purge_history(store, settings))
    if slack:
        import bot.platforms.slack.app as slack_platform  # noqa: PLC0415

        await slack_platform.mount(app, advisor, settings)
    if teams:
        import bot.platforms.teams as teams_platform  # noqa: PLC0415

        await teams_platform.mount(app, advisor, settings)
    return app


async def _purge_history(store: Store, settings: Settings) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=settings.history_retention_days)
    await store.purge_history(cutoff)


def bind_host(settings: Settings, *, teams: bool) -> str:
    """HOST if given; else every interface, except for anonymous Teams: loopback only."""
    anonymous = teams and settings.microsoft_app_id is None
    if anonymous:
        log.warning("Teams runs WITHOUT authentication (no MICROSOFT_APP_ID): anyone who can "
                    "reach /api/messages can post as any user and make the bot call any URL. "
                    "%s", "Bound to 127.0.0.1 only; --host overrides this." if settings.host
                    is None else f"Listening on {settings.host} as --host/HOST asked.")
    if settings.host is not None:
        return settings.host
    return "127.0.0.1" if anonymous else "0.0.0.0"  # noqa: S104  (a server faces its network)


def serve(settings: Settings, *, port: int, teams: bool | None) -> None:
    """Check the settings, then serve until SIGTERM (raises ConfigurationError first)."""
    slack_on, teams_on = check_platforms(settings, slack=None, teams=teams)
    host = bind_host(settings, teams=teams_on)
    from bot.store.factory import store_kind  # noqa: PLC0415  (drivers load on demand)

    platforms = ", ".join(name for name, on in (("slack", slack_on), ("teams", teams_on)) if on)
    metrics = "" if settings.metrics_port is None else f", /metrics on port {settings.metrics_port}"

    def announce(url: str) -> None:
        log.info("listening on %s%s; platforms: %s; store: %s", url, metrics, platforms,
                 store_kind(settings))

    # The app is built on the serving loop, so the store's connections live on that loop.
    # On SIGTERM the server stops accepting, lets requests in flight finish, then runs
    # on_shutdown (which waits for background turns) and on_cleanup (which closes the store).
    loop = asyncio.new_event_loop()
    try:
        app = loop.run_until_complete(build_app(settings, teams=teams))
    except BaseException:
        loop.close()
        raise
    run(loop, app, host, port, max_connections=settings.max_connections,
        read_timeout=settings.read_timeout_seconds, announce=announce,
        grace=settings.shutdown_grace_seconds)
