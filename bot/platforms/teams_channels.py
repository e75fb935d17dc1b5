"""The team channels the bot is installed in, kept in the store so they survive restarts.

Teams tells the bot where it is through installationUpdate and conversationUpdate activities;
each channel's conversation reference is what a proactive post needs. When a post fails because
the bot was removed or the channel is gone, the channel is forgotten and the user told why; the
result card stays, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.store.base import Store

log = logging.getLogger(__name__)

CHANNEL = "teams.channel"  # records by tenant: channel id -> name, team id, reference
GONE = {403: "I am no longer a member of that team", 404: "that channel no longer exists"}
LEAVING = {"teamDeleted", "teamArchived"}


class Channels:
    """Remembers, lists and posts to the team channels of each tenant."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def observe(self, activity: Activity) -> None:
        """Remember or forget channels from an installation or conversation update."""
        data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        team = data.get("team")
        if not isinstance(team, dict) or "id" not in team:
            return  # a personal or group chat: nothing to post summaries to
        tenant = str(activity.conversation.tenant_id or data.get("tenant", {}).get("id"))
        event = data.get("eventType", "")
        if event in LEAVING or activity.action == "remove" or _bot_left(activity):
            await self._forget_team(tenant, str(team["id"]))
        elif event == "channelDeleted":
            await self.store.delete_record(CHANNEL, tenant, str(data["channel"]["id"]))
        else:
            channel = data.get("channel") or {"id": team["id"], "name": "General"}
            await self._remember(activity, tenant, team, channel)

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

    async def choices(self, tenant: str) -> dict[str, str]:
        """Channel id -> "Team > Channel", sorted by name, for the result card."""
        records = await self.store.get_records(CHANNEL, tenant)
        names = {channel: json.loads(record)["name"] for channel, record in records.items()}
        return dict(sorted(names.items(), key=lambda item: item[1]))

    async def post(self, adapter: Any, app_id: str, tenant: str, channel: str,
                   message: Activity) -> str:
        """Post `message` to the channel; what to tell the user about it."""
        found = (await self.store.get_records(CHANNEL, tenant)).get(channel)
        if found is None:
            return "I do not know that channel any more; choose another one."
        record = json.loads(found)
        reference = ConversationReference().deserialize(record["reference"])

        async def send(context: TurnContext) -> None:
            await context.send_activity(message)

        try:
            await adapter.continue_conversation(reference, send, app_id)
        except HttpOperationError as error:
            return await self._explain(tenant, channel, record["name"], error)
        return f"Posted the summary to {record['name']}."

    async def _explain(self, tenant: str, channel: str, name: str,
                       error: HttpOperationError) -> str:
        status = getattr(getattr(error, "response", None), "status_code", None)
        log.warning("posting a summary failed", extra={"status": status})
        if status in GONE:
            await self.store.delete_record(CHANNEL, tenant, channel)
            return (f"I could not post to {name}: {GONE[status]}, so I will not offer it again. "
                    "Your result is still here; choose another channel, or add me to the team "
                    "again and retry.")
        return (f"I could not post to {name} just now (error {status}). Your result is still "
                "here; please try again in a moment.")


def _bot_left(activity: Activity) -> bool:
    removed = activity.members_removed or []
    return any(member.id == activity.recipient.id for member in removed)
