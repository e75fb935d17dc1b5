"""Internal references: host names that only resolve inside the company (the policy's patterns
and defaults like *.corp), RFC 1918 addresses, and package registries that are not public."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from pathlib import PurePosixPath
from urllib.parse import urlsplit

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
SKIPPED = frozenset({"package-lock.json", "yarn.lock", "poetry.lock", "pnpm-lock.yaml",
                     "cargo.lock", "go.sum", "composer.lock", "pipfile.lock"})
ATTRIBUTE_OWNERS = frozenset({"self", "this", "cls", "super", "os", "sys", "ctx", "context"})
CODE_LINE = re.compile(r"^\s*(import|from|package|using|#\s*include)\b")


def host_pattern(globs: list[str]) -> re.Pattern[str]:
    """One regular expression for every host glob, in places a host name can stand (after
    `//`, `@`, a quote, `=` or a space; never an attribute call like `threading.local()`)."""
    label = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    alternatives = [re.escape(glob.lower()).replace(r"\*", rf"{label}(?:\.{label})*")
                    for glob in globs]
    return re.compile(rf"(?:(?<=[/@\"'`=\s])|^)((?:{'|'.join(alternatives)}))(?=[:/\"'`\s,;)\]]|$)",
                      re.IGNORECASE | re.MULTILINE)


def find(path: str, text: str, hosts: re.Pattern[str]) -> Counter[tuple[str, str]]:
    """(kind, target) -> places, kind being host, address or registry."""
    if PurePosixPath(path).name.lower() in SKIPPED:
        return Counter()
    package_config = bool(PACKAGE_CONFIGS.search(path))
    found: Counter[tuple[str, str]] = Counter()
    if not package_config and not hosts.search(text) and not ADDRESS.search(text):
        return found
    for line in text.splitlines():
        if CODE_LINE.match(line):
            continue
        for match in hosts.finditer(line):
            if match[1].split(".", 1)[0].lower() in ATTRIBUTE_OWNERS:
                continue
            found[("registry" if package_config else "host", match[1].lower())] += 1
        for match in ADDRESS.finditer(line):
            if _private(match[1]):
                found[("registry" if package_config else "address", match[1])] += 1
        if package_config:
            for match in REGISTRY_URL.finditer(line):
                host = urlsplit(match[1]).hostname or ""
                if host and not PUBLIC_REGISTRIES.search(host) and ("registry", host) not in found:
                    found[("registry", host)] += 1
    return found


def _private(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_private
    except ValueError:
        return False
