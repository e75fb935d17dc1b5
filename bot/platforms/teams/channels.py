"""The team channels the bot is installed in, kept in the store so they survive restarts.

Teams tells the bot where it is through installationUpdate and conversationUpdate activities;
each channel's conversation reference is what a proactive post needs. When a post fails because
the bot was removed or the channel is gone, the channel is forgotten and the user told why; the
result card stays, so nothing is lost. A user is offered, and may post to, only the channels of
teams they are a member of (asked of Teams' roster), so nobody learns of other teams' channels.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from bot.platforms.teams.activity import Activity, card_attachment, mapping
from bot.platforms.teams.connector import CALL_TIMEOUT_SECONDS, Connector, ConnectorError
from bot.store.base import Store

log = logging.getLogger(__name__)

CHANNEL = "teams.channel"  # records by tenant: channel id -> name, team id, reference
GONE = {403: "I am no longer a member of that team", 404: "that channel no longer exists"}
LEAVING = {"teamDeleted", "teamArchived"}


class Channels:
    """Remembers, lists and posts to the team channels of each tenant."""

    def __init__(self, store: Store, connector: Connector) -> None:
        self.store = store
        self.connector = connector  # the chosen SDK's, for roster checks and proactive posts

    async def observe(self, activity: Activity) -> None:
        """Remember or forget channels from an installation or conversation update."""
        data = activity.channel_data
        team, channel = mapping(data.get("team")), data.get("channel")
        tenant = activity.tenant
        if not isinstance(team.get("id"), str) or tenant == "local":
            return  # a personal or group chat: nothing to post summaries to
        event = data.get("eventType", "")
        odd_channel = channel is not None and not isinstance(mapping(channel).get("id"), str)
        if odd_channel or not isinstance(event, str):
            return  # not a shape Teams sends
        if event in LEAVING or activity.action == "remove" or _bot_left(activity):
            await self._forget_team(tenant, team["id"])
        elif event == "channelDeleted":
            if channel is not None:
                await self.store.delete_record(CHANNEL, tenant, channel["id"])
        else:
            await self._remember(activity, tenant, team,
                                 channel or {"id": team["id"], "name": "General"})

    async def _remember(self, activity: Activity, tenant: str, team: dict[str, Any],
                        channel: dict[str, Any]) -> None:
        reference = activity.reference()
        reference["conversation"] = {**reference["conversation"], "id": channel["id"],
                                     "conversationType": "channel"}
        record = {"name": f"{team.get('name') or 'Team'} \u203a {channel.get('name') or 'General'}",
                  "team": team["id"], "reference": reference}
        await self.store.put_record(CHANNEL, tenant, str(channel["id"]), json.dumps(record))

    async def _forget_team(self, tenant: str, team: str) -> None:
        for channel, record in (await self.store.get_records(CHANNEL, tenant)).items():
            if json.loads(record)["team"] == team:
                await self.store.delete_record(CHANNEL, tenant, channel)

    async def choices(self, context: Activity, tenant: str) -> dict[str, str]:
        """Channel id -> "Team > Channel" of the user's teams, sorted by name, for the card."""
        records = {channel: json.loads(record)
                   for channel, record in (await self.store.get_records(CHANNEL, tenant)).items()}
        teams = {record["team"] for record in records.values()}
        member_of = {team for team in teams if await self._is_member(context, team)}
        names = {channel: record["name"] for channel, record in records.items()
                 if record["team"] in member_of}
        return dict(sorted(names.items(), key=lambda item: item[1]))

    async def post(self, context: Activity, channel: str, card: dict[str, Any]) -> str:
        """Post `card` to the channel; what to tell the user about it."""
        tenant = context.tenant
        found = (await self.store.get_records(CHANNEL, tenant)).get(channel)
        if found is None:
            return "I do not know that channel any more; choose another one."
        record = json.loads(found)
        if not await self._is_member(context, record["team"]):
            return "You can only post to channels of teams you are a member of."
        reference = mapping(record["reference"])
        conversation = mapping(reference.get("conversation"))
        message = {"type": "message", "from": reference.get("bot"),
                   "conversation": conversation, "channelId": reference.get("channelId"),
                   "serviceUrl": reference.get("serviceUrl"), **card_attachment(card)}
        try:
            await asyncio.wait_for(self.connector.send(
                str(reference.get("serviceUrl")), str(conversation.get("id")), message),
                CALL_TIMEOUT_SECONDS * 2)
        except ConnectorError as error:
            return await self._explain(tenant, channel, record["name"], error)
        return f"Posted the summary to {record['name']}."

    async def _is_member(self, context: Activity, team: str) -> bool:
        """Whether the user of this turn is on the team's roster; no when Teams cannot say."""
        try:
            return await asyncio.wait_for(self.connector.is_member(
                context.service_url, team, context.sender_id), CALL_TIMEOUT_SECONDS * 2)
        except ConnectorError as error:
            log.warning("could not read a team's roster", extra={"status": error.status})
            return False

    async def _explain(self, tenant: str, channel: str, name: str,
                       error: ConnectorError) -> str:
        status = error.status
        log.warning("posting a summary failed", extra={"status": status})
        if status in GONE:
            await self.store.delete_record(CHANNEL, tenant, channel)
            return (f"I could not post to {name}: {GONE[status]}, so I will not offer it again. "
                    "Your result is still here; choose another channel, or add me to the team "
                    "again and retry.")
        return (f"I could not post to {name} just now (error {status}). Your result is still "
                "here; please try again in a moment.")


def _bot_left(activity: Activity) -> bool:
    bot = activity.recipient.get("id")
    return bot is not None and any(member.get("id") == bot for member in activity.members_removed)
