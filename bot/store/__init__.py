"""Where conversations, history and platform records live: the port and its implementations."""

from bot.store.base import (
    ConflictError,
    ConversationKey,
    DuplicateError,
    HistoryEntry,
    HistoryPage,
    Store,
)

__all__ = ["ConflictError", "ConversationKey", "DuplicateError", "HistoryEntry", "HistoryPage",
           "Store"]
