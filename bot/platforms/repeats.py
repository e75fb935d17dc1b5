"""A double click on an answer: the second click of the same button of the same question is
stale, but the user did nothing wrong, so the chat edges stay silent instead of saying "that
button belongs to a question that has already been answered". A click on another option of the
answered question still gets that polite notice."""

from __future__ import annotations

from dataclasses import replace

from bot.advisor import Turn
from bot.core.conversation import Inbound
from bot.core.replies import Notice


def is_repeat(turn: Turn, inbound: Inbound) -> bool:
    """True when `inbound` repeats the answer that moved the conversation on one step ago."""
    conversation = turn.conversation
    if (conversation is None or inbound.action != "answer" or inbound.ref is None
            or not conversation.asked or turn.changed
            or inbound.ref != f"{conversation.id}.{conversation.version - 1}"):
        return False
    answer = conversation.answers.get(conversation.asked[-1])
    if inbound.options is not None:
        return isinstance(answer, list) and sorted(inbound.options) == sorted(answer)
    return inbound.option is not None and answer == inbound.option


def without_repeat(turn: Turn, inbound: Inbound) -> Turn:
    """The turn with the stale notice of a repeated click taken out."""
    if not is_repeat(turn, inbound):
        return turn
    kept = [r for r in turn.replies if not (isinstance(r, Notice) and r.level == "stale")]
    return replace(turn, replies=kept)
