"""The Teams app package: its manifest, its icons, and the teams-package command."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from bot.cli import main
from bot.platforms.teams.package import manifest, teams_dir

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "schemas"
                     / "teams-app-manifest.v1.20.schema.json").read_text())
APP_ID = "12345678-1234-1234-1234-123456789abc"


def test_the_manifest_validates_against_the_teams_schema() -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(manifest(APP_ID))


def test_the_bot_works_in_personal_chat_teams_and_group_chats_with_its_commands() -> None:
    bot = manifest(APP_ID)["bots"][0]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"personal", "team", "groupChat"}
    for commands in bot["commandLists"]:
        titles = {c["title"] for c in commands["commands"]}
        assert {"help", "restart", "cancel", "history"} <= titles


def test_the_icons_have_the_sizes_teams_requires_and_the_outline_is_transparent() -> None:
    with Image.open(teams_dir() / "color.png") as color:
        assert color.size == (192, 192)
    with Image.open(teams_dir() / "outline.png") as outline:
        assert outline.size == (32, 32) and outline.mode == "RGBA"
        assert outline.getpixel((0, 0))[3] == 0  # type: ignore[index]


def test_teams_package_writes_a_zip_teams_accepts(tmp_path: Path) -> None:
    output = tmp_path / "app.zip"
    assert main(["teams-package", "--app-id", APP_ID, "--output", str(output),
                 "--allow-example"]) == 0
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
    jsonschema.Draft4Validator(SCHEMA).validate(packaged)
    assert packaged["id"] == packaged["bots"][0]["botId"] == APP_ID


def test_teams_package_refuses_an_app_id_that_is_not_a_guid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["teams-package", "--app-id", "my-bot", "--output", str(tmp_path / "a.zip")]) == 2
    assert "GUID" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()
