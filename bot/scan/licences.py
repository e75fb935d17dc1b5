"""Licences: licence files identified by askalono's matcher against the SPDX licence texts,
with what its single whole-text match cannot say added by `licence_match` (files holding
several licences, plain variants, near twins, `-or-later` notices, texts its store lacks),
`SPDX-License-Identifier` headers parsed as SPDX expressions (license-expression), and copyleft
classified by ScanCode's licence categories (shipped inside license-expression)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

import askalono
from license_expression import ExpressionError, Licensing, get_license_index, get_spdx_licensing

from bot.scan import licence_match
from bot.scan.batch import Batch

MIN_SCORE = licence_match.MIN_SCORE

UNKNOWN = "LicenseRef-unknown"
LICENCE_NAMES = re.compile(
    r"^(licen[cs]e|copying|copyright|unlicen[cs]e|notice)([-._].*)?$|.*\.licen[cs]e$",
    re.IGNORECASE)
HEADER = re.compile(r"SPDX-License-Identifier:\s*([^\r\n*]*?)\s*(?:\*/|-->|#}|$)", re.MULTILINE)
THIRD_PARTY_DIRS = frozenset({"vendor", "vendored", "third_party", "third-party", "thirdparty",
                              "3rdparty", "external", "externals", "extern", "deps",
                              "node_modules", "bower_components", "_vendor", "contrib"})
NOT_TEXT = frozenset({".py", ".js", ".ts", ".go", ".rs", ".c", ".h", ".java", ".json", ".yml",
                      ".yaml", ".toml", ".cfg", ".ini", ".sh"})

Copyleft = Literal["strong", "weak", "network"]


@dataclass(frozen=True)
class LicenceHit:
    """One licence statement in one file."""

    expression: str
    source: Literal["file", "header"]
    line: int | None = None


def is_licence_file(path: str) -> bool:
    """LICENSE, LICENCE.md, COPYING.LESSER, NOTICE, foo.LICENSE... but no source files."""
    name = PurePosixPath(path)
    return bool(LICENCE_NAMES.match(name.name)) and name.suffix.lower() not in NOT_TEXT


def is_third_party(path: str) -> bool:
    """True for files under a vendoring directory (vendor/, third_party/, node_modules/...)."""
    return any(part.lower() in THIRD_PARTY_DIRS for part in PurePosixPath(path).parts[:-1])


@dataclass(frozen=True)
class Match:
    """askalono's best licence for a text, and its score (0 to 1)."""

    name: str
    score: float


STATEMENT = re.compile(r"^[ \t]*(?:copyright\s*(?:\(c\)|©|\d{4}|[\[<{])|\(c\)\s*\d|©).*$",
                       re.IGNORECASE | re.MULTILINE)
MAX_MATCHES = 4096
_matches: dict[str, Match] = {}


def match(text: str) -> Match:
    """askalono's match of a text. pyaskalono loads its licence store on every call (~0.2 s),
    so a match is remembered by the text with its copyright statements ("Copyright (c) 2019
    Someone") blanked, case and spacing ignored: the same licence under another holder or
    year, as every MIT file of a node_modules folder is, costs one call. What askalono reads
    is still the whole text, copyright lines and all: dropping them lowers the score of
    licences whose text holds them (libtiff) and tips near twins (ISC and 0BSD)."""
    key = " ".join(STATEMENT.sub("copyright", text).lower().split())
    found = _matches.get(key)
    if found is None:
        if len(_matches) >= MAX_MATCHES:
            _matches.clear()
        answer = askalono.identify(text)
        found = _matches[key] = Match(str(answer.name), float(answer.score))
    return found


@lru_cache(maxsize=1024)
def identify(text: str) -> str:
    """The SPDX expression of a licence text, or LicenseRef-unknown when nothing matches.
    A whole text that askalono matches at SHALLOW_LIMIT or better is that one licence;
    otherwise a text cut into several parts (`licence_match.sections`: separator lines,
    licence titles) is the AND of what its parts are, each matched on its own, but the parts
    of a stacked licence the file holds whole (`licence_match.Stacks`) are that licence. What
    askalono cannot name at its threshold goes to the supplement, then to the standard
    notices; what none of them names is unknown, never guessed.
    askalono is asked once per text and its copies under other holders (`match`)."""
    if not text.strip():
        return UNKNOWN
    whole = match(text)
    if whole.score < SHALLOW_LIMIT:
        parts = licence_match.sections(text)
        if len(parts) > 1:
            stacks = licence_match.stacks()
            held = stacks.held(text)
            found = _unique(stacks.owner(part, held)
                            or _in_file(named(match(part), part), text)
                            for part in parts)
            if found:
                return joined(found)
    name = named(whole, text)
    if name == "LGPL-3.0-only" and GPL3_AFTER_LGPL3.search(text):
        # askalono's LGPL 3.0 text carries the GPL 3.0 it incorporates, so the pair matches
        # as one; the file holds both licence texts, as the SPDX list's LGPL-3.0 text does
        return "LGPL-3.0-only AND GPL-3.0-only"
    return _in_file(name, text)


def _in_file(expression: str, text: str) -> str:
    """A part's licence as the whole file's heading notice applies it: `-or-later`, and the
    GFDL's and OFL's variants (a notice and the licence it applies may fall in two parts)."""
    if " " in expression:
        return expression
    return licence_match.variant(licence_match.or_later(expression, text), text)


SHALLOW_LIMIT = 0.99
"""askalono's own shallow limit: a whole-text match this close leaves no room for another
licence in the file, so the file is not cut into parts."""
GPL3_AFTER_LGPL3 = re.compile(r"GNU\s+GENERAL\s+PUBLIC\s+LICENSE\s+Version\s+3,\s+29\s+June\s+2007")


def named(found: Match, text: str) -> str:
    """What one askalono match says of a text: its licence at askalono's threshold, named by
    its plain variant and checked against its near twins; else the supplement's (the texts
    askalono's store lacks) at the same threshold; else the licences whose standard notice
    the text holds; else LicenseRef-unknown."""
    if found.score >= MIN_SCORE:
        plain = licence_match.canonical(found.name)
        return licence_match.variant(licence_match.check_twin(plain, text), text)
    supplied, score = licence_match.supplement().best(text)
    if score >= MIN_SCORE:
        return supplied
    return " AND ".join(licence_match.notices(text)) or UNKNOWN


def joined(expressions: Iterable[str], operator: str = "AND") -> str:
    """The expressions, each once, joined by AND or OR, a term holding the other operator in
    parentheses when there are several; LicenseRef-unknown when there are none."""
    terms = list(dict.fromkeys(expressions))
    other = " OR " if operator == "AND" else " AND "
    wrapped = [f"({t})" if other in t and len(terms) > 1 else t for t in terms]
    return f" {operator} ".join(wrapped) or UNKNOWN


def _unique(expressions: Iterable[str]) -> list[str]:
    """The known expressions, each once, in order; a part that is an AND of licences counts
    as each of them (a part with the Apache 2.0 and MIT notices and another with the MIT text
    make `Apache-2.0 AND MIT`)."""
    found: list[str] = []
    for expression in expressions:
        terms = [expression] if " OR " in expression else expression.split(" AND ")
        found += [term for term in terms if term != UNKNOWN and term not in found]
    return found


def find(path: str, text: str) -> list[LicenceHit]:
    """The licence statements of one file: its text if it is a licence file, and its headers
    (but the ones a licence text quotes, see `quoted`)."""
    file = identify(text) if is_licence_file(path) else None
    hits = [LicenceHit(file, "file")] if file is not None else []
    return hits + [hit for _, hit in headers_in(Batch([text])) if not quoted(hit, file)]


# --- a licence in the comment heading a source file -------------------------------------------

LICENCE_WORDS_LOWER = re.compile("|".join(  # words may wrap to a new line of the comment
    r"[\s#*/;%!-]+".join(map(re.escape, phrase.split())) for phrase in (
        "permission is hereby granted", "redistribution and use in source", "licensed under the",
        "released under the", "distributed under the", "general public license",
        "mozilla public license", "eclipse public license", "permission to use, copy, modify",
        "is free software", "free and unencumbered software")))
LICENCE_WORDS = re.compile(LICENCE_WORDS_LOWER.pattern, re.IGNORECASE)
"""Words one of which every licence text or notice a comment may carry holds: a file's
heading comment is matched only when it has one (most comments are not licences)."""
HEAD_CHARS = 8000
"""Only this much of a file is read for its heading comment: a licence comes first."""
COMMENT_LINE = re.compile(r"^\s*(?:#|//|--|;|%|\*|/\*|<!--|\(\*)")
COMMENT_MARKS = re.compile(r"^\s*(?:#!.*|#+|//+|--+|;+|%+|/\*+|\*+/?|<!--|\(\*)?"
                           r"|(?:\*+/|-->|\*\))\s*$")
BLOCK_OPEN = re.compile(r"^\s*(?:/\*|<!--|\(\*|\"\"\"|\'\'\')")
BLOCK_CLOSE = re.compile(r"\*/|-->|\*\)|\"\"\"|\'\'\'")


def heading_comments(text: str) -> list[tuple[str, int]]:
    """The comments near the top of a source file (its first HEAD_CHARS characters), each with
    the line it starts on and its comment marks dropped: every run of line comments (#, //,
    --, ;...) and every block comment (/* */, <!-- -->, a docstring). Not only those before
    the first line of code: compiled JavaScript puts `"use strict"` and its exports above the
    licence comment, and a module docstring comes before a # licence header."""
    blocks: list[tuple[list[str], int]] = []
    kind: str | None = None
    inside = False
    for number, line in enumerate(text[:HEAD_CHARS].splitlines(), start=1):
        if inside:
            blocks[-1][0].append(line)
            inside = not BLOCK_CLOSE.search(line)
            continue
        if not line.strip():
            continue
        opened = BLOCK_OPEN.match(line)
        this = "block" if opened else "line" if COMMENT_LINE.match(line) else None
        if this is None:  # code: the next comment starts a block of its own
            kind = None
            continue
        if this == "block" or kind != "line":
            blocks.append(([], number))
        kind = this
        blocks[-1][0].append(line)
        if opened is not None:
            inside = not BLOCK_CLOSE.search(line[opened.end():])
    return [("\n".join(COMMENT_MARKS.sub("", line).replace('"""', "").replace("'''", "")
                       for line in lines).strip(), first) for lines, first in blocks]


def in_comment(text: str) -> tuple[str, int] | None:
    """(expression, line) of the licences the comments near the top of a source file state
    ("Permission is hereby granted...", "Licensed under the Apache License..." in code copied
    from another project), or None when they say nothing licence-like or nothing we can name.
    A file with an SPDX header says it there, and its header is what counts."""
    comments = heading_comments(text)
    if any(HEADER.search(comment) for comment, _ in comments):
        return None
    found: list[str] = []
    first: int | None = None
    for comment, line in comments:
        if not LICENCE_WORDS.search(comment):
            continue
        # a standard notice is the usual heading and costs no askalono call; comments differ
        # from file to file (a file name, a summary), so remembered matches rarely apply
        expression = " AND ".join(licence_match.notices(comment)) or identify(comment)
        if expression != UNKNOWN:
            found.append(expression)
            first = line if first is None else first
    if first is None:
        return None
    return joined(_unique(found)), first


# --- a licence file that points to others ---------------------------------------------------

POINTED_FILE = re.compile(r"(?<![\w/.-])((?:LICEN[CS]E|COPYING)[-._][A-Za-z0-9][\w.-]*[A-Za-z0-9])")
CHOICE = re.compile(r"\beither\b|\bat\s+your\s+option\b|\bdual[- ]licen[cs]ed\b",
                    re.IGNORECASE)


@dataclass(frozen=True)
class Pointer:
    """A licence file that holds no licence text but names the licence files that do: "made
    available under the terms of either of the licenses found in LICENSE.APACHE or
    LICENSE.BSD" (pyca, PyPA), "see LICENSE-MIT and LICENSE-APACHE". `choice` when the text
    offers one of them ("either", "at your option", "dual licensed"): their OR, else their
    AND."""

    files: tuple[str, ...]
    choice: bool

    def expression(self, found: list[str]) -> str:
        """The pointed files' expressions joined as the text says; one that was not found or
        not identified stays in as LicenseRef-unknown, and none known is LicenseRef-unknown."""
        if all(e == UNKNOWN for e in found):
            return UNKNOWN
        expression = joined(found, "OR" if self.choice else "AND")
        return normalise(expression) or expression


def pointer(path: str, text: str) -> Pointer | None:
    """The licence files (by name, upper case, with a suffix: LICENSE.BSD, COPYING.LESSER)
    an unidentified licence file names, other than itself; None when it names none."""
    own = PurePosixPath(path).name
    names = tuple(dict.fromkeys(name for name in POINTED_FILE.findall(text) if name != own))
    return Pointer(names, bool(CHOICE.search(text))) if names else None


HEADING_LINES = 5


def quoted(header: LicenceHit, file: str | None) -> bool:
    """True for an SPDX header inside the text of an identified licence, below its first
    HEADING_LINES lines: licences that tell how to apply them quote one (CAL-1.0 quotes
    `SPDX-License-Identifier: CAL-1.0-Combined-Work-Exception`), which says nothing about the
    repository. A header heading a licence file, or in a NOTICE file whose text is no licence,
    still counts."""
    return (file is not None and file != UNKNOWN and header.line is not None
            and header.line > HEADING_LINES)


def headers_in(batch: Batch) -> list[tuple[int, LicenceHit]]:
    """(text index, hit) for every SPDX-License-Identifier header in a batch of texts."""
    hits = []
    for match in HEADER.finditer(batch.text):
        expression = normalise(match.group(1))
        if expression is not None:
            index, line, _ = batch.locate(match.start())
            hits.append((index, LicenceHit(expression, "header", line)))
    return hits


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


@lru_cache(maxsize=4096)
def normalise(expression: str) -> str | None:
    """The expression in SPDX form, or None when it does not parse (a header that is a pattern
    in a regular expression or documentation, like this module's own)."""
    try:
        parsed = _licensing().parse(expression, validate=False, strict=False)
    except ExpressionError:
        return None
    return None if parsed is None else str(parsed.render("{symbol.key}"))


def licence_ids(expression: str) -> list[str]:
    """Every licence and exception id in an expression."""
    if expression == UNKNOWN:
        return [UNKNOWN]
    try:
        return [str(key) for key in _licensing().license_keys(expression, unique=True)]
    except ExpressionError:
        return [expression]


@cache
def _categories() -> dict[str, str]:
    index: list[dict[str, Any]] = get_license_index()
    categories: dict[str, str] = {}
    for entry in index:
        keys = [entry.get("spdx_license_key"), *(entry.get("other_spdx_license_keys") or [])]
        for key in keys:
            if isinstance(key, str) and key:
                categories.setdefault(key.lower(), str(entry.get("category")))
    return categories


def copyleft(expression: str) -> Copyleft | None:
    """The strongest copyleft among the expression's licences, by ScanCode's categories:
    `network` (AGPL: use over a network counts), `strong` (GPL, EUPL...), `weak` (LGPL, MPL,
    EPL...), or None. An OR between licences does not lift it: which one applies is a choice
    somebody still has to make and write down."""
    found: set[Copyleft] = set()
    for key in licence_ids(expression):
        category = _categories().get(key.lower())
        if key.upper().startswith("AGPL"):
            found.add("network")
        elif category == "Copyleft":
            found.add("strong")
        elif category == "Copyleft Limited" and not key.lower().endswith("exception"):
            found.add("weak")
    levels: tuple[Copyleft, ...] = ("network", "strong", "weak")
    return next((level for level in levels if level in found), None)
