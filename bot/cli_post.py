"""`review request` in the terminal: post the review card to the policy's review channels.

The card and the post are the Slack and Teams edges' own (`slack_review.post_card`,
`teams.review.post_card`), so the server later updates the same card when a reviewer decides.
Slack is posted to with SLACK_BOT_TOKEN (the configured workspace's bot token), Teams as a
proactive message with the bot's MICROSOFT_APP_* credentials. A platform that is not configured
is skipped with what to set; the request is recorded either way.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.engine import Engine
from bot.core.flow import FlowDefinition
from bot.core.reviews import Review
from bot.policy import Policy
from bot.settings import Settings
from bot.store.base import Store

log = logging.getLogger(__name__)

WHERE_ELSE = ("Reviewers see it in their Slack App Home, in Teams and in "
              "`opensource-check reviews`.")
SLACK_SETUP = ("set SLACK_BOT_TOKEN (the xoxb- bot token of the workspace; SLACK_API_URL for a "
               "test server) to post it from the terminal")
TEAMS_SETUP = ("set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (and MICROSOFT_APP_TENANT_ID) "
               "to post it from the terminal")
POST_TIMEOUT_SECONDS = 30


async def post_review(settings: Settings, policy: Policy | None, store: Store,
                      review: Review) -> str:
    """Post the card where the policy says and is not yet posted; what to tell the user."""
    if policy is None:
        return ("No company policy (POLICY_FILE or --policy), so no review channel: the request "
                f"is recorded. {WHERE_ELSE}")
    flow = Engine.default().flow
    lines: list[str] = []
    if policy.slack.channel is not None:
        lines.append(await _to_slack(settings, policy.slack.channel, store, review, flow))
    if policy.teams.channel is not None:
        lines.append(await _to_teams(settings, policy, store, review, flow))
    if not lines:
        lines.append("The policy names no Slack or Teams review channel, so nothing was posted.")
    return "\n".join([*lines, f"The request is recorded. {WHERE_ELSE}"])


async def _to_slack(settings: Settings, channel: str, store: Store, review: Review,
                    flow: FlowDefinition) -> str:
    from aiohttp import ClientError  # noqa: PLC0415
    from slack_sdk.web.async_client import AsyncWebClient  # noqa: PLC0415

    from bot.platforms.slack.review import CARDS, post_card  # noqa: PLC0415

    if (await store.get_records(CARDS, review.id)).get("card") is not None:
        return f"Slack: the card is already in channel {channel}."
    token = settings.slack_bot_token
    if token is None:
        return f"Slack: not posted to channel {channel}: {SLACK_SETUP}."
    client = AsyncWebClient(token=token.get_secret_value(), base_url=settings.slack_api_url)
    try:
        async with asyncio.timeout(POST_TIMEOUT_SECONDS):
            problem = await post_card(client, store, flow, review, channel)
    except (ClientError, TimeoutError, OSError) as error:
        return (f"Slack: not posted to channel {channel}: Slack did not answer at "
                f"SLACK_API_URL {settings.slack_api_url} ({type(error).__name__}).")
    if problem is not None:
        return "Slack: " + problem.replace(f"<#{channel}>", f"channel {channel}")
    return f"Slack: posted the review card to channel {channel}."


async def _to_teams(settings: Settings, policy: Policy, store: Store, review: Review,
                    flow: FlowDefinition) -> str:
    from bot.platforms.teams import credentials_of  # noqa: PLC0415
    from bot.platforms.teams.connector import load  # noqa: PLC0415
    from bot.platforms.teams.review import post_card  # noqa: PLC0415

    channel = policy.teams.channel
    tenant, not_ready = await _teams_tenant(settings, policy, store, review)
    if tenant is None:
        return f"Teams: {not_ready}"
    connector = load(settings.teams_sdk, credentials_of(settings))
    try:
        async with asyncio.timeout(POST_TIMEOUT_SECONDS):
            posted = await post_card(store, connector, flow, policy, review, tenant=tenant)
    except Exception as error:  # noqa: BLE001  (the token's provider, say: the request stands)
        return (f"Teams: not posted to channel {channel}: {type(error).__name__} "
                f"({str(error)[:200]}). Check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and "
                "MICROSOFT_APP_TENANT_ID.")
    finally:
        await connector.close()
    if not posted:
        return (f"Teams: not posted to channel {channel}: Teams refused or did not answer "
                "(see the log line above).")
    return f"Teams: posted the review card to channel {channel}."


async def _teams_tenant(settings: Settings, policy: Policy, store: Store,
                        review: Review) -> tuple[str | None, str]:
    """The tenant to post in, or None and why the card cannot be posted from here."""
    from bot.platforms.teams import credentials_of  # noqa: PLC0415
    from bot.platforms.teams.review import CARDS, channel_reference  # noqa: PLC0415

    channel = policy.teams.channel
    if (await store.get_records(CARDS, review.id)).get("card") is not None:
        return None, f"the card is already in channel {channel}."
    credentials = credentials_of(settings)
    if credentials.app_id is None or (credentials.password is None
                                      and credentials.app_type != "UserAssignedMSI"):
        return None, f"not posted to channel {channel}: {TEAMS_SETUP}."
    tenant = _tenant(settings)
    if tenant is None:
        return None, (f"not posted to channel {channel}: set MICROSOFT_APP_TENANT_ID (or one "
                      "tenant in ALLOWED_TENANTS), the tenant whose channel it is.")
    if await channel_reference(store, policy, tenant) is None:
        return None, (f"not posted to channel {channel}: the bot has not seen it yet in tenant "
                      f"{tenant}. Add the app to that channel's team while `serve` runs on "
                      "this DATABASE_URL, then request again.")
    return tenant, ""


def _tenant(settings: Settings) -> str | None:
    if settings.microsoft_app_tenant_id:
        return settings.microsoft_app_tenant_id
    allowed = settings.tenant_allow_list
    return next(iter(allowed)) if len(allowed) == 1 else None
