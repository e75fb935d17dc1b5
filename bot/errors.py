"""The project's own errors, in a module of their own so every layer can import them without an
import circle (the Slack edge used to import ConfigurationError from the composition root)."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """Missing or contradictory settings; the message says which setting to set."""


class StoreUnavailableError(Exception):
    """The store did not answer (down, partitioned, timed out): nothing was saved."""


class BusyError(Exception):
    """Too many turns are in flight: the work was refused rather than queued without limit."""
