"""Internal references: host names that only resolve inside the company (the policy's patterns
and defaults like *.corp), RFC 1918 addresses, and package registries that are not public."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from bot.scan.batch import Batch, Lines

PACKAGE_CONFIGS = re.compile(
    r"(^|/)(pip\.conf|pip\.ini|\.pypirc|\.npmrc|\.yarnrc(\.yml)?|requirements[^/]*\.txt|"
    r"pyproject\.toml|setup\.cfg|settings\.xml|pom\.xml|build\.gradle(\.kts)?|"
    r"settings\.gradle(\.kts)?|nuget\.config|\.gemrc|Gemfile|config\.toml|\.condarc|"
    r"Pipfile)$", re.IGNORECASE)
REGISTRY_URL = re.compile(r"(?:index-url|registry|repository|source|url|mirror)\b[^\n]*?"
                          r"(https?://[^\s\"'<>]+)", re.IGNORECASE)
PUBLIC_REGISTRIES = re.compile(
    r"(^|\.)(pypi\.org|pythonhosted\.org|npmjs\.org|npmjs\.com|yarnpkg\.com|maven\.org|"
    r"apache\.org|gradle\.org|golang\.org|rubygems\.org|nuget\.org|crates\.io|github\.com|"
    r"githubusercontent\.com|gitlab\.com|anaconda\.org|conda\.io|jitpack\.io|google\.com)$")
ADDRESS = re.compile(r"(?<![\w.])(10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|"
                     r"172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2})(?![\w.])")
ADDRESS_START = re.compile(r"10\.|192\.168\.|172\.")
SKIPPED = frozenset({"package-lock.json", "yarn.lock", "poetry.lock", "pnpm-lock.yaml",
                     "cargo.lock", "go.sum", "composer.lock", "pipfile.lock"})
ATTRIBUTE_OWNERS = frozenset({"self", "this", "cls", "super", "os", "sys", "ctx", "context"})
CODE_LINE = re.compile(r"^\s*(import|from|package|using|#\s*include)\b")


@dataclass(frozen=True)
class Hosts:
    """The internal host globs as one regular expression, and the fixed ends of the globs
    (".corp", "artifactory.acme.com"): a host can only be on a line that holds one."""

    regex: re.Pattern[str]
    literals: re.Pattern[str]


def host_pattern(globs: list[str]) -> Hosts:
    """One regular expression for every host glob, in places a host name can stand (after
    `//`, `@`, a quote, `=` or a space; never an attribute call like `threading.local()`)."""
    label = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    alternatives = [re.escape(glob.lower()).replace(r"\*", rf"{label}(?:\.{label})*")
                    for glob in globs]
    pattern = re.compile(
        rf"(?:(?<=[/@\"'`=\s])|^)((?:{'|'.join(alternatives)}))(?=[:/\"'`\s,;)\]]|$)",
        re.IGNORECASE | re.MULTILINE)
    literals = [re.escape(glob.lower().rsplit("*", 1)[-1]) for glob in globs]
    return Hosts(pattern, re.compile("|".join(literals)))


def find(path: str, text: str, hosts: Hosts) -> Counter[tuple[str, str]]:
    """(kind, target) -> places, kind being host, address or registry."""
    return Counter({(kind, target): count for (_, kind, target), count in
                    find_in(Batch([text]), [path], hosts).items()})


def find_in(batch: Batch, paths: list[str],
            hosts: Hosts) -> Counter[tuple[int, str, str]]:
    """(text index, kind, target) -> places, for a batch of texts and their paths."""
    found: Counter[tuple[int, str, str]] = Counter()
    configs = {i for i, path in enumerate(paths) if PACKAGE_CONFIGS.search(path)}
    skipped = {i for i, path in enumerate(paths) if PurePosixPath(path).name.lower() in SKIPPED}
    host_lines = batch.lines_with(hosts.literals, hosts.regex)
    address_lines = Lines(batch, [m.start() for m in ADDRESS_START.finditer(batch.text)])
    for pattern, kind, lines in ((hosts.regex, "host", host_lines),
                                 (ADDRESS, "address", address_lines)):
        for match in pattern.finditer(lines.text):
            index, _, line = batch.locate(lines.original(match.start()))
            target = match[1].lower()
            if index in skipped or CODE_LINE.match(line) or not _counts(kind, target):
                continue
            found[(index, "registry" if index in configs else kind, target)] += 1
    for index in configs - skipped:
        start = batch.starts[index]
        end = batch.starts[index + 1] if index + 1 < len(batch.starts) else len(batch.text)
        for match in REGISTRY_URL.finditer(batch.text, start, end):
            host = urlsplit(match[1]).hostname or ""
            if host and not PUBLIC_REGISTRIES.search(host) and \
                    (index, "registry", host) not in found:
                found[(index, "registry", host)] += 1
    return found


def _counts(kind: str, target: str) -> bool:
    if kind == "address":
        return _private(target)
    return target.split(".", 1)[0] not in ATTRIBUTE_OWNERS


def _private(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_private
    except ValueError:
        return False
