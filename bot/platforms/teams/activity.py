"""Bot Framework activities as the edge reads them: the JSON Teams sends, with typed accessors.

No SDK model: the edge reads a dozen fields, and each SDK's models differ. Anything that is not
a JSON object where Teams sends one reads as empty, so a malformed activity can be refused
(`parse` returns None) or ignored, never crash a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE = "message"
CONVERSATION_UPDATE = "conversationUpdate"
INSTALLATION_UPDATE = "installationUpdate"
CARD = "application/vnd.microsoft.card.adaptive"


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else empty: most fields are whatever the sender wrote."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Activity:
    """One incoming activity."""

    raw: dict[str, Any]

    @classmethod
    def parse(cls, body: Any) -> Activity | None:
        """The activity, or None unless it has what every turn reads: a type, a conversation
        id, a sender id and a service URL (Teams always sends them)."""
        activity = cls(mapping(body))
        if activity.type and activity.conversation_id and activity.user and activity.service_url:
            return activity
        return None

    @property
    def type(self) -> str:
        return _text(self.raw.get("type"))

    @property
    def id(self) -> str:
        return _text(self.raw.get("id"))

    @property
    def text(self) -> str:
        return _text(self.raw.get("text"))

    @property
    def value(self) -> dict[str, Any]:
        return mapping(self.raw.get("value"))

    @property
    def channel_id(self) -> str:
        return _text(self.raw.get("channelId"))

    @property
    def service_url(self) -> str:
        return _text(self.raw.get("serviceUrl"))

    @property
    def action(self) -> str:
        return _text(self.raw.get("action"))

    @property
    def channel_data(self) -> dict[str, Any]:
        return mapping(self.raw.get("channelData"))

    @property
    def conversation(self) -> dict[str, Any]:
        return mapping(self.raw.get("conversation"))

    @property
    def conversation_id(self) -> str:
        return _text(self.conversation.get("id"))

    @property
    def shared(self) -> bool:
        """A team channel or a group chat, rather than the personal chat."""
        return self.conversation.get("conversationType") in ("channel", "groupChat")

    @property
    def sender(self) -> dict[str, Any]:
        return mapping(self.raw.get("from"))

    @property
    def sender_id(self) -> str:
        """The sender's Bot Framework id (29:...), which the roster and chats know them by."""
        return _text(self.sender.get("id"))

    @property
    def user(self) -> str:
        """The sender's stable id (the Entra object id when Teams gives one)."""
        return _text(self.sender.get("aadObjectId")) or self.sender_id

    @property
    def user_name(self) -> str | None:
        return _text(self.sender.get("name")) or None

    @property
    def recipient(self) -> dict[str, Any]:
        return mapping(self.raw.get("recipient"))

    @property
    def tenant(self) -> str:
        """The Microsoft 365 tenant, or `local` for the Agents Playground and the Emulator."""
        return (_text(self.conversation.get("tenantId"))
                or _text(mapping(self.channel_data.get("tenant")).get("id")) or "local")

    @property
    def members_removed(self) -> list[dict[str, Any]]:
        removed = self.raw.get("membersRemoved")
        return [mapping(m) for m in removed] if isinstance(removed, list) else []

    def reply(self, **fields: Any) -> dict[str, Any]:
        """An outgoing message in this activity's conversation, from the bot to the sender."""
        return {"type": MESSAGE, "channelId": self.channel_id, "serviceUrl": self.service_url,
                "from": self.recipient, "recipient": self.sender,
                "conversation": self.conversation, **fields}

    def reference(self) -> dict[str, Any]:
        """What a later, proactive message to this conversation needs (a conversation
        reference, in the Bot Framework's JSON shape)."""
        return {"bot": self.recipient, "user": self.sender, "conversation": self.conversation,
                "channelId": self.channel_id, "serviceUrl": self.service_url}


def card_attachment(content: dict[str, Any]) -> dict[str, Any]:
    """A message body carrying one Adaptive Card."""
    return {"attachments": [{"contentType": CARD, "content": content}]}
