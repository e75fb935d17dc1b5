"""The Teams app package: a manifest with the bot's app id filled in, and its icons.

The manifest is the packaged `teams/manifest.json` unless the operator gives their own copy
(`teams-package --manifest PATH`): after `pip install .` the packaged one cannot be edited. Its
developer name and URLs are examples; a package still carrying them is refused unless asked for.
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
ICONS = ("color", "outline")
EXAMPLE_DEVELOPER = "opensource-check maintainers"
EXAMPLE_HOST = "example.com"
URL_FIELDS = ("websiteUrl", "privacyUrl", "termsOfUseUrl")


class PackageError(ValueError):
    """The package cannot be built: the message names the file or value and what to do."""


def teams_dir() -> Path:
    """Where the manifest and icons are: inside the installed package, or in a checkout."""
    packaged = Path(str(resources.files("bot"))) / "teams"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "teams"


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 60 else f"{value[:40]!r}\u2026 ({len(value)} characters)"


def _read(source: Path) -> dict[str, Any]:
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise PackageError(f"cannot read the manifest {source}: "
                           f"{error.strerror or error}") from None
    except UnicodeDecodeError:
        raise PackageError(f"the manifest {source} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PackageError(f"the manifest {source} is not JSON (line {error.lineno}, column "
                           f"{error.colno}: {error.msg})") from None
    bots = data.get("bots") if isinstance(data, dict) else None
    if not isinstance(bots, list) or not bots or not isinstance(bots[0], dict):
        raise PackageError(f"the manifest {source} has no \"bots\" entry: start from the "
                           "packaged teams/manifest.json")
    manifest: dict[str, Any] = data
    return manifest


def example_fields(data: dict[str, Any]) -> list[str]:
    """The developer fields of `data` still holding the example's values."""
    developer = data.get("developer")
    developer = developer if isinstance(developer, dict) else {}
    found = ["developer.name"] if developer.get("name") == EXAMPLE_DEVELOPER else []
    return found + [f"developer.{field}" for field in URL_FIELDS
                    if EXAMPLE_HOST in str(developer.get(field, ""))]


def manifest(app_id: str, source: Path | None = None, *,
             allow_example: bool = True) -> dict[str, Any]:
    """The manifest for this bot registration, from `source` (default: the packaged one).

    PackageError unless `app_id` is a GUID, when the file cannot be read as a manifest, or,
    without `allow_example`, when it still has the example developer name or URLs.
    """
    if not GUID.match(app_id):
        raise PackageError(f"the app id must be the bot's Microsoft App ID, a GUID; "
                           f"got {_shown(app_id)}")
    path = source if source is not None else teams_dir() / "manifest.json"
    data = _read(path)
    example = example_fields(data)
    if example and not allow_example:
        raise PackageError(
            f"{path} still has the example {', '.join(example)}: copy it, put in your "
            "organisation's name and URLs and pass the copy with --manifest (or pass "
            "--allow-example for a private test install)")
    data["id"] = app_id
    data["bots"][0]["botId"] = app_id
    return data


def _icon(data: dict[str, Any], kind: str, folder: Path) -> tuple[Path, str]:
    """The icon file the manifest names: next to the manifest, else the packaged one."""
    icons = data.get("icons")
    name = icons.get(kind) if isinstance(icons, dict) else None
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise PackageError(f"the manifest's icons.{kind} must name a PNG file next to it")
    for candidate in (folder / name, teams_dir() / name):
        if candidate.is_file():
            return candidate, name
    raise PackageError(f"the icon {name} (icons.{kind}) is neither next to the manifest in "
                       f"{folder} nor packaged")


def write_package(app_id: str, output: Path, source: Path | None = None, *,
                  allow_example: bool = True) -> Path:
    """Write the zip Teams uploads: manifest.json and the two icons at its root."""
    data = manifest(app_id, source, allow_example=allow_example)
    folder = (source if source is not None else teams_dir() / "manifest.json").parent
    icons = [_icon(data, kind, folder) for kind in ICONS]
    if not output.parent.is_dir():
        raise PackageError(f"the folder of --output {output} does not exist: create it first")
    if output.is_dir():
        raise PackageError(f"--output {output} is a folder: give the zip's file name")
    try:
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(data, indent=2))
            for path, name in icons:
                archive.write(path, name)
    except OSError as error:
        raise PackageError(f"cannot write --output {output}: {error.strerror or error}") from None
    return output
