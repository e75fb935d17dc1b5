"""Secrets: detect-secrets' credential rules (one per kind of token or key), run over whole
texts, with look-alikes (documentation examples, placeholders, templated values, credentials
for a local test server) dropped. Only the kind and the line are kept, never the value."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters.heuristic import is_sequential_string, is_templated_secret
from detect_secrets.plugins.base import RegexBasedDetector

NOT_CREDENTIALS = frozenset({"Public IP (ipv4)"})
"""detect-secrets rules that find something other than a credential."""

PLACEHOLDER_PARTS = ("example", "xxxx", "dummy", "fake", "sample", "placeholder", "changeme",
                     "redacted", "your", "0000000", "1234567")
PLACEHOLDER_WORDS = frozenset({"password", "passwd", "pass", "secret", "pwd", "token", "user",
                               "username", "admin", "test", "guest", "postgres", "root"})
LOCAL_HOSTS = re.compile(r"@(localhost|127\.0\.0\.1|\[::1\]|[\w.-]*example\.(com|org|net))\b")
KEYWORD_RULES = frozenset({"Cloudant Credentials", "IBM Cloud IAM Key", "IBM COS HMAC Credentials",
                           "SoftLayer Credentials"})
KEYWORD = re.compile(r"key|pwd|pw|pass|token|secret|softlayer", re.IGNORECASE)
NEWLINE = re.compile(r"\n")
MIN_DISTINCT = 6  # a token made of fewer different characters is a pattern, not a key
MIN_LENGTH = 20  # every credential format these rules know is longer; shorter ones are test data
USER_PASSWORD = re.compile(r"//([^:/@\s]+):([^@\s]+)@")


@dataclass(frozen=True)
class SecretHit:
    """A credential of `kind` on `line` (1-based)."""

    kind: str
    line: int


@cache
def detectors() -> list[RegexBasedDetector]:
    """detect-secrets' regex rules for credentials."""
    classes: list[type[Any]] = list(get_mapping_from_secret_type_to_class().values())
    rules: list[RegexBasedDetector] = [
        cls() for cls in classes if issubclass(cls, RegexBasedDetector)
    ]
    return [rule for rule in rules if rule.secret_type not in NOT_CREDENTIALS]


def find(text: str) -> list[SecretHit]:
    """Every credential in one text. Each rule's patterns run over the whole text (in C, fast);
    the rules that need a keyword (`cloudant_password = ...`) run only over the lines that hold
    one, since their leading look-behinds are slow on long texts and cannot match elsewhere."""
    whole = _Text(text)
    keyword: _Text | None = None
    hits: dict[tuple[str, int], SecretHit] = {}
    for detector in detectors():
        source = whole
        if detector.secret_type in KEYWORD_RULES:
            keyword = keyword or whole.keyword_lines()
            source = keyword
        for pattern in detector.denylist:
            for match in pattern.finditer(source.text):
                number, line = source.line_of(match.start())
                if not _is_fake(match, line):
                    hits[(detector.secret_type, number)] = SecretHit(detector.secret_type, number)
    return sorted(hits.values(), key=lambda hit: (hit.line, hit.kind))


class _Text:
    """A text with its line starts, so a match finds its line by bisection."""

    def __init__(self, text: str, numbers: list[int] | None = None) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in NEWLINE.finditer(text))]
        self.numbers = numbers  # the original line numbers, for a text of selected lines

    def line_of(self, offset: int) -> tuple[int, str]:
        index = bisect_right(self.starts, offset) - 1
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        number = self.numbers[index] if self.numbers is not None else index + 1
        return number, self.text[self.starts[index]: end]

    def keyword_lines(self) -> _Text:
        numbers: list[int] = []
        for match in KEYWORD.finditer(self.text):
            number = bisect_right(self.starts, match.start())
            if not numbers or numbers[-1] != number:
                numbers.append(number)
        lines = [self.line_of(self.starts[number - 1])[1] for number in numbers]
        return _Text("\n".join(lines), numbers)


def _is_fake(match: re.Match[str], line: str) -> bool:
    whole = match.group(0).strip(" \t=:\"'")
    if len(whole) < MIN_LENGTH or looks_fake(whole, line):
        return True
    credentials = USER_PASSWORD.search(whole)
    if credentials and credentials[1] == credentials[2]:  # a local service's default account
        return True
    value = match.group(1) if match.re.groups else None
    return value is not None and (value.lower() in PLACEHOLDER_WORDS
                                  or (len(value) >= MIN_DISTINCT and looks_fake(value, "")))


def looks_fake(value: str, line: str) -> bool:
    """Documentation examples (AKIAIOSFODNN7EXAMPLE), placeholders (ghp_xxxx..., <token>,
    ${TOKEN}), sequences and credentials of a local test server are not secrets."""
    lowered = value.lower()
    return (
        any(part in lowered for part in PLACEHOLDER_PARTS)
        or lowered in PLACEHOLDER_WORDS
        or len(set(value)) < MIN_DISTINCT
        or is_sequential_string(value)
        or is_templated_secret(value)
        or bool(LOCAL_HOSTS.search(line))
    )
