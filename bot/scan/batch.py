"""Many texts joined into one, so each detector's patterns run once over all of them (in C)
instead of once per file: on a repository of small files the per-call cost would otherwise be
most of the scan."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property

SEPARATOR = "\n\0\n"  # no detector pattern matches a NUL, so no match spans two texts


class Batch:
    """Texts joined by SEPARATOR, with the offset where each one starts."""

    def __init__(self, texts: list[str]) -> None:
        self.text = SEPARATOR.join(texts)
        self.starts: list[int] = []
        offset = 0
        for text in texts:
            self.starts.append(offset)
            offset += len(text) + len(SEPARATOR)

    @cached_property
    def lower(self) -> str | None:
        """The text in lower case, for fast literal searches; None when lowering would move
        offsets (a few non-ASCII letters lower to two characters)."""
        lowered = self.text.lower()
        return lowered if len(lowered) == len(self.text) else None

    def lines_with(self, literals: re.Pattern[str], fallback: re.Pattern[str]) -> Lines:
        """The lines holding a match of `literals` (lower-case, run on the lowered text), or of
        the case-insensitive `fallback` when the text cannot be lowered in place."""
        if self.lower is not None:
            return Lines(self, [m.start() for m in literals.finditer(self.lower)])
        return Lines(self, [m.start() for m in fallback.finditer(self.text)])

    def index_of(self, offset: int) -> int:
        """Which text the offset falls in."""
        return bisect_right(self.starts, offset) - 1

    def locate(self, offset: int) -> tuple[int, int, str]:
        """(text index, 1-based line number in that text, the line) of an offset."""
        index = self.index_of(offset)
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        number = self.text.count("\n", self.starts[index], start) + 1
        return index, number, self.text[start: len(self.text) if end < 0 else end]


class Lines:
    """Selected lines of a batch joined into a smaller text, each mapped back to its offset."""

    def __init__(self, batch: Batch, offsets: list[int]) -> None:
        self.batch = batch
        lines: list[str] = []
        self.origins: list[int] = []
        self.starts: list[int] = []
        position = 0
        for offset in offsets:
            start = batch.text.rfind("\n", 0, offset) + 1
            if self.origins and self.origins[-1] == start:
                continue
            end = batch.text.find("\n", offset)
            line = batch.text[start: len(batch.text) if end < 0 else end]
            lines.append(line)
            self.origins.append(start)
            self.starts.append(position)
            position += len(line) + 1
        self.text = "\n".join(lines)

    def original(self, offset: int) -> int:
        """The batch offset of an offset in the selected lines."""
        index = bisect_right(self.starts, offset) - 1
        return self.origins[index] + offset - self.starts[index]
