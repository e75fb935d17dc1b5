"""Secrets: detect-secrets' credential rules (one per kind of token or key), run over whole
texts, with look-alikes (documentation examples, placeholders, templated values, credentials
for a local test server) dropped. Only the kind and the line are kept, never the value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters.heuristic import is_sequential_string, is_templated_secret
from detect_secrets.plugins.base import RegexBasedDetector

from bot.scan.batch import Batch, Lines

NOT_CREDENTIALS = frozenset({"Public IP (ipv4)"})
"""detect-secrets rules that find something other than a credential."""

PLACEHOLDER_PARTS = ("example", "xxxx", "dummy", "fake", "sample", "placeholder", "changeme",
                     "redacted", "your", "0000000", "1234567")
PLACEHOLDER_WORDS = frozenset({"password", "passwd", "pass", "secret", "pwd", "token", "user",
                               "username", "admin", "test", "guest", "postgres", "root"})
LOCAL_HOSTS = re.compile(r"@(localhost|127\.0\.0\.1|\[::1\]|[\w.-]*example\.(com|org|net))\b")
KEYWORD_RULES = frozenset({"Cloudant Credentials", "IBM Cloud IAM Key", "IBM COS HMAC Credentials",
                           "SoftLayer Credentials"})
KEYWORD = re.compile(r"key|pwd|pw|pass|token|secret|softlayer")
KEYWORD_ANY_CASE = re.compile(KEYWORD.pattern, re.IGNORECASE)
TRIGGERS = {"Artifactory Credentials": re.compile(r"AKC|AP[\dA-F]")}
"""Literals a rule cannot match without: its slow patterns run only on the lines holding one."""
MIN_DISTINCT = 6  # a token made of fewer different characters is a pattern, not a key
MIN_LENGTH = 20  # every credential format these rules know is longer; shorter ones are test data
USER_PASSWORD = re.compile(r"//([^:/@\s]+):([^@\s]+)@")


@dataclass(frozen=True)
class SecretHit:
    """A credential of `kind` on `line` (1-based); `allowed` when that line marks it as a
    known test value (ALLOWED)."""

    kind: str
    line: int
    allowed: bool = False


ALLOWED = re.compile(r"pragma:\s*allowlist[ -]secret|gitleaks:allow")
"""The marks detect-secrets and gitleaks read on a line to leave its value out (a test key, a
fixture): the same marks work here, so a repository already marked for them needs no more."""


@cache
def detectors() -> list[RegexBasedDetector]:
    """detect-secrets' regex rules for credentials."""
    classes: list[type[Any]] = list(get_mapping_from_secret_type_to_class().values())
    rules: list[RegexBasedDetector] = [
        cls() for cls in classes if issubclass(cls, RegexBasedDetector)
    ]
    return [rule for rule in rules if rule.secret_type not in NOT_CREDENTIALS]


def find(text: str) -> list[SecretHit]:
    """Every credential in one text."""
    return [hit for _, hit in find_in(Batch([text]))]


def find_in(batch: Batch) -> list[tuple[int, SecretHit]]:
    """(text index, hit) for every credential in a batch of texts. Each rule's patterns run
    over the whole batch; the rules that need a keyword (`cloudant_password = ...`) run only
    over the lines that hold one, since their leading look-behinds are slow on long texts and
    cannot match elsewhere."""
    keyword_lines: Lines | None = None
    hits: dict[tuple[int, str, int], SecretHit] = {}
    for detector in detectors():
        lines = None
        if detector.secret_type in KEYWORD_RULES:
            keyword_lines = keyword_lines or batch.lines_with(KEYWORD, KEYWORD_ANY_CASE)
            lines = keyword_lines
        elif detector.secret_type in TRIGGERS:
            trigger = TRIGGERS[detector.secret_type]
            lines = Lines(batch, [m.start() for m in trigger.finditer(batch.text)])
        for pattern in detector.denylist:
            for match in pattern.finditer(batch.text if lines is None else lines.text):
                offset = match.start() if lines is None else lines.original(match.start())
                index, number, line = batch.locate(offset)
                if not _is_fake(match, line):
                    hit = SecretHit(detector.secret_type, number, bool(ALLOWED.search(line)))
                    hits[(index, hit.kind, number)] = hit
    return [(index, hit) for (index, _, _), hit in sorted(hits.items())]


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
