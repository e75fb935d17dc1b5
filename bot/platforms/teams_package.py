"""The Teams app package: teams/manifest.json with the bot's app id filled in, and its icons.

No botbuilder here: building the package needs nothing but the files.
"""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ICONS = ("color.png", "outline.png")


def teams_dir() -> Path:
    """Where the manifest and icons are: inside the installed package, or in a checkout."""
    packaged = Path(str(resources.files("bot"))) / "teams"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "teams"


def manifest(app_id: str) -> dict[str, Any]:
    """The manifest for this bot registration; ValueError unless `app_id` is a GUID."""
    if not GUID.match(app_id):
        raise ValueError(f"the app id must be the bot's Microsoft App ID, a GUID; got {app_id!r}")
    data: dict[str, Any] = json.loads((teams_dir() / "manifest.json").read_text("utf-8"))
    data["id"] = app_id
    data["bots"][0]["botId"] = app_id
    return data


def write_package(app_id: str, output: Path) -> Path:
    """Write the zip Teams uploads: manifest.json and the two icons at its root."""
    content = json.dumps(manifest(app_id), indent=2)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", content)
        for icon in ICONS:
            archive.write(teams_dir() / icon, icon)
    return output
