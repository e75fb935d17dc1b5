"""The standard base documentation (InnerSource Commons "Standard Base Documentation" and the
GitHub community files): which exist, and where."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from bot.scan.model import BaseDocument

DOCUMENTS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
        "README": r"readme(\..*)?",
        "LICENSE": r"(licen[cs]e|copying)(\..*)?",
        "CONTRIBUTING": r"contributing(\..*)?",
        "CODE_OF_CONDUCT": r"code[_-]of[_-]conduct(\..*)?",
        "SECURITY": r"security(\..*)?",
        "CODEOWNERS": r"codeowners",
    }.items()
}
PLACES = ("", ".github", "docs", ".gitlab")  # where GitHub and GitLab look for them


def find(paths: list[str]) -> list[BaseDocument]:
    """Each base document with the first file that provides it, or None when it is missing."""
    candidates = sorted(path for path in paths if str(PurePosixPath(path).parent) in
                        {place or "." for place in PLACES})
    found = []
    for name, pattern in DOCUMENTS.items():
        match = next((p for p in candidates if pattern.fullmatch(PurePosixPath(p).name)), None)
        found.append(BaseDocument(name=name, path=match))
    return found
