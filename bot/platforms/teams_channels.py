"""The team channels the bot is installed in, kept in the store so they survive restarts.

Teams tells the bot where it is through installationUpdate and conversationUpdate activities;
each channel's conversation reference is what a proactive post needs. When a post fails because
the bot was removed or the channel is gone, the channel is forgotten and the user told why; the
result card stays, so nothing is lost. A user is offered, and may post to, only the channels of
teams they are a member of (asked of Teams' roster), so nobody learns of other teams' channels.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.store.base import Store

log = logging.getLogger(__name__)

CHANNEL = "teams.channel"  # records by tenant: channel id -> name, team id, reference
GONE = {403: "I am no longer a member of that team", 404: "that channel no longer exists"}
LEAVING = {"teamDeleted", "teamArchived"}


class Channels:
    """Remembers, lists and posts to the team channels of each tenant."""

    def __init__(self, store: Store, adapter: Any, app_id: str) -> None:
        self.store = store
        self.adapter = adapter  # botbuilder's CloudAdapter, for proactive posts
        self.app_id = app_id

    async def observe(self, activity: Activity) -> None:
        """Remember or forget channels from an installation or conversation update."""
        data = _mapping(activity.channel_data)
        team, channel = _mapping(data.get("team")), data.get("channel")
        tenant = activity.conversation.tenant_id or _mapping(data.get("tenant")).get("id")
        if not isinstance(team.get("id"), str) or not isinstance(tenant, str):
            return  # a personal or group chat: nothing to post summaries to
        if channel is not None and not isinstance(_mapping(channel).get("id"), str):
            return  # not a shape Teams sends
        event = data.get("eventType") if isinstance(data.get("eventType"), str) else ""
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
        reference = TurnContext.get_conversation_reference(activity)
        reference.conversation.id = channel["id"]
        reference.conversation.conversation_type = "channel"
        reference.activity_id = None
        record = {"name": f"{team.get('name') or 'Team'} \u203a {channel.get('name') or 'General'}",
                  "team": team["id"], "reference": reference.serialize()}
        await self.store.put_record(CHANNEL, tenant, str(channel["id"]), json.dumps(record))

    async def _forget_team(self, tenant: str, team: str) -> None:
        for channel, record in (await self.store.get_records(CHANNEL, tenant)).items():
            if json.loads(record)["team"] == team:
                await self.store.delete_record(CHANNEL, tenant, channel)

    async def choices(self, context: TurnContext, tenant: str) -> dict[str, str]:
        """Channel id -> "Team > Channel" of the user's teams, sorted by name, for the card."""
        records = {channel: json.loads(record)
                   for channel, record in (await self.store.get_records(CHANNEL, tenant)).items()}
        teams = {record["team"] for record in records.values()}
        member_of = {team for team in teams if await _is_member(context, team)}
        names = {channel: record["name"] for channel, record in records.items()
                 if record["team"] in member_of}
        return dict(sorted(names.items(), key=lambda item: item[1]))

    async def post(self, context: TurnContext, tenant: str, channel: str,
                   message: Activity) -> str:
        """Post `message` to the channel; what to tell the user about it."""
        found = (await self.store.get_records(CHANNEL, tenant)).get(channel)
        if found is None:
            return "I do not know that channel any more; choose another one."
        record = json.loads(found)
        if not await _is_member(context, record["team"]):
            return "You can only post to channels of teams you are a member of."
        reference = ConversationReference().deserialize(record["reference"])

        async def send(proactive: TurnContext) -> None:
            await proactive.send_activity(message)

        try:
            await self.adapter.continue_conversation(reference, send, self.app_id)
        except HttpOperationError as error:
            return await self._explain(tenant, channel, record["name"], error)
        return f"Posted the summary to {record['name']}."

    async def _explain(self, tenant: str, channel: str, name: str,
                       error: HttpOperationError) -> str:
        status = _status_of(error)
        log.warning("posting a summary failed", extra={"status": status})
        if status in GONE:
            await self.store.delete_record(CHANNEL, tenant, channel)
            return (f"I could not post to {name}: {GONE[status]}, so I will not offer it again. "
                    "Your result is still here; choose another channel, or add me to the team "
                    "again and retry.")
        return (f"I could not post to {name} just now (error {status}). Your result is still "
                "here; please try again in a moment.")


async def _is_member(context: TurnContext, team: str) -> bool:
    """Whether the user of this turn is on the team's roster; no when Teams cannot say."""
    try:
        await TeamsInfo.get_team_member(context, team, context.activity.from_property.id)
    except HttpOperationError as error:
        if _status_of(error) != 404:
            log.warning("could not read a team's roster", extra={"status": _status_of(error)})
        return False
    return True


def _status_of(error: HttpOperationError) -> int | None:
    return getattr(getattr(error, "response", None), "status_code", None)


def _mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else empty: channelData is whatever the sender wrote."""
    return value if isinstance(value, dict) else {}


def _bot_left(activity: Activity) -> bool:
    removed = activity.members_removed or []
    bot = activity.recipient
    return bot is not None and any(member.id == bot.id for member in removed)
