"""What every command shares: one-line errors on standard error, their exit codes, and echoed
input cut to a readable length."""

from __future__ import annotations

import re
import sys

EXIT_USAGE = 2  # bad input: an option, a file or a setting the user gave
EXIT_ENVIRONMENT = 1  # the world is not as needed: a database down, a port taken
SHOWN_CHARACTERS = 60  # of an echoed value
MESSAGE_CHARACTERS = 600  # of a whole message, a last guard
_QUOTED = re.compile(rf"'([^'\n]{{{SHOWN_CHARACTERS + 20},}})'")
_LONG_WORD = re.compile(rf"\S{{{SHOWN_CHARACTERS + 20},}}")


class CommandError(Exception):
    """A command cannot go on: `message` is the one line to show, `code` the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def shown(value: object) -> str:
    """A value as an error echoes it: as is when short, else cut, with its length."""
    text = str(value)
    if len(text) <= SHOWN_CHARACTERS + 20:
        return text if text.strip() and text.isprintable() else repr(text)
    return f"{text[:SHOWN_CHARACTERS]!r}\u2026 ({len(text)} characters)"


def cut_long(message: str) -> str:
    """`message` with every long quoted value or word cut, and at most MESSAGE_CHARACTERS."""
    message = _QUOTED.sub(lambda match: shown(match.group(1)), message)
    message = _LONG_WORD.sub(lambda match: f"{match.group(0)[:SHOWN_CHARACTERS]}\u2026 "
                                           f"({len(match.group(0))} characters)", message)
    if len(message) > MESSAGE_CHARACTERS:
        message = message[:MESSAGE_CHARACTERS] + "\u2026"
    return message


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print `opensource-check: message` on standard error; the exit status to return."""
    print(f"opensource-check: {cut_long(message)}", file=sys.stderr)
    return code
