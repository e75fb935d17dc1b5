"""The first hour on the command line: every mistake a newcomer or an operator makes gets one
clear line naming the file or setting, exit 2 (bad input) or 1 (environment), no traceback."""

from __future__ import annotations

import argparse
import csv
import io
import json
import socket
import zipfile
from pathlib import Path

import jsonschema
import pytest

from bot.cli import _parser, main
from bot.core.outcomes import Recommendation
from bot.platforms.teams.package import teams_dir
from tests.unit.test_cli import ANSWERS, GOOD, run

APP_ID = "12345678-1234-1234-1234-123456789abc"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process runs with a store of the test's own and no settings from the machine."""
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name in ("REDIS_URL", "POLICY_FILE", "PORT", "ENCRYPTION_KEY", "MICROSOFT_APP_ID",
                 "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HOST", "METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return tmp_path


def one_line(err: str) -> str:
    """The single error line a failed command printed (and nothing like a traceback)."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("opensource-check")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("content", "expected"), [
    (b"\xff\xfe{\x00}\x00", "are UTF-16 text: save them as UTF-8"),
    (bytes(range(256)), "are not text (not UTF-8)"),
    (b"", "are empty: give a JSON object of {question id: option id}"),
    (b"  \n", "are empty"),
    (b'{"upstream": 3}', "question 'upstream' takes one option id (one of: fork, overlaps, no)"),
    (b'["fork"]', ("must be a JSON object of {question id: option id}, e.g. "
                   '{"upstream": "fork"}, not a list')),
    (b"{oops", "not JSON at line 1, column 2"),
])
def test_a_bad_answers_file_is_explained_in_the_users_terms(
        isolated: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str) -> None:
    answers = isolated / "answers.json"
    answers.write_bytes(content)
    assert main(["assess", "--answers", str(answers)]) == 2
    captured = capsys.readouterr()
    assert expected in one_line(captured.err) and not captured.out


def test_a_utf8_answers_file_with_a_byte_order_mark_is_accepted(
        isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = isolated / "answers.json"
    answers.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert main(["assess", "--answers", str(answers), "--format", "json"]) == 0
    assert Recommendation.model_validate_json(capsys.readouterr().out).path == \
        "contribute_upstream"


def test_a_missing_answers_file_is_named(isolated: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", "--answers", "nope.json"]) == 2
    assert "cannot read answers from nope.json: No such file" in one_line(capsys.readouterr().err)


def test_a_10_mb_option_value_is_cut_in_the_error(isolated: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["assess", "--answers", "-", "--format", "x" * 10_000_000])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err) < 1500
    assert "(10000000 characters)" in err and "invalid choice" in err


def test_a_long_check_id_is_cut_when_echoed(isolated: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "c" * 100_000]) == 2
    line = one_line(capsys.readouterr().err)
    assert "no finished check" in line and "(100000 characters)" in line and len(line) < 300


@pytest.mark.parametrize(("setting", "args", "expected"), [
    (("PORT", "abc"), ["serve", "--teams"], "the setting PORT is invalid"),
    (("DATABASE_URL", "mysql://u:secret@h/db"), ["history"],
     "DATABASE_URL must start with sqlite:/// or postgresql://"),
    (("ENCRYPTION_KEY", "not-a-key"), ["rotate-keys"], "ENCRYPTION_KEY must be Fernet keys"),
    (("LOG_LEVEL", "LOUD"), ["serve", "--teams"], "the setting LOG_LEVEL is invalid"),
])
@pytest.mark.usefixtures("isolated")
def test_a_bad_setting_is_named_with_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        setting: tuple[str, str], args: list[str], expected: str) -> None:
    monkeypatch.setenv(*setting)
    assert main(args) == 2
    line = one_line(capsys.readouterr().err)
    assert expected in line and "secret" not in line


@pytest.mark.parametrize("args", [["history"], ["forget", "--user", "u"],
                                  ["serve", "--teams", "--port", "0"]])
def test_an_unreachable_postgresql_is_named_with_exit_1(
        isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str]) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:hunter2@127.0.0.1:{port}/x")
    monkeypatch.setenv("STORE_TIMEOUT_SECONDS", "2")
    assert main(args) == 1
    line = one_line(capsys.readouterr().err)
    named = f"the database of DATABASE_URL (postgresql://u:***@127.0.0.1:{port}/x) did not answer"
    assert named in line and "hunter2" not in line


def test_serve_on_a_port_in_use_names_port_with_exit_1(
        isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--teams", "--host", "127.0.0.1", "--port", str(port)]) == 1
    line = one_line(capsys.readouterr().err)
    assert f"port {port} is already in use (PORT or --port)" in line


def test_a_binary_policy_file_is_named(isolated: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    policy = isolated / "policy.yaml"
    policy.write_bytes(bytes(range(256)))
    assert main(["assess", "--answers", "-", "--policy", str(policy)]) == 2
    assert f"--policy {policy}: the policy file is not UTF-8 text" in \
        one_line(capsys.readouterr().err)


def test_assess_applies_the_policy_given_with_policy(
        isolated: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    policy = isolated / "policy.yaml"
    policy.write_text("re_review_months: {contribute_upstream: 2}\n")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(GOOD).encode())))
    assert main(["assess", "--answers", "-", "--format", "json", "--policy", str(policy)]) == 0
    assert Recommendation.model_validate_json(capsys.readouterr().out).review_in_months == 2


def test_chat_takes_policy_and_names_it_when_bad(isolated: Path, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}", "PATH": "/usr/bin:/bin"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("review: {paths: [nowhere]}\n")
    refused = run("chat", "--policy", str(bad), env=env, stdin="")
    assert refused.returncode == 2 and f"--policy {bad}: invalid policy" in refused.stderr
    good = tmp_path / "good.yaml"
    good.write_text("review: {paths: [keep_closed, innersource, innersource_first, open_source, "
                    "partner_source, contribute_upstream]}\n")
    done = run("chat", "--policy", str(good), env=env,
               stdin="\n".join(["2", *ANSWERS]) + "\n")
    assert done.returncode == 0, done.stderr
    assert "policy asks for an OSPO review" in done.stdout
    assert f"--name NAME --policy {good}`" in done.stdout  # the request needs it too
    csv_row = next(csv.DictReader(io.StringIO(run("history", env=env).stdout)))
    [json_row] = json.loads(run("history", "--format", "json", env=env).stdout)
    assert csv_row["completed_at"] == json_row["completed_at"]  # one form: ...Z
    assert csv_row["completed_at"].endswith("Z")
    assert (csv_row["platform"], csv_row["workspace"]) == ("terminal", "local")


def test_purge_asks_for_yes_or_dry_run(isolated: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["history", "purge", "--older-than-days", "0"])
    assert exited.value.code == 2 and "--yes --dry-run is required" in capsys.readouterr().err
    assert main(["history", "purge", "--older-than-days", "0", "--dry-run"]) == 0
    assert "Would delete 0 checks" in capsys.readouterr().out
    assert main(["history", "purge", "--yes"]) == 0
    assert "Deleted 0 checks completed more than 730 days ago" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "expected"), [
    (["history", "purge", "--older-than-days", "-1", "--yes"], "must be 0 or more, not -1"),
    (["history", "--limit", "-1"], "must be 1 or more, not -1"),
    (["history", "--limit", "many"], "not a whole number: many"),
    (["forget", "--user", ""], "--user: must not be empty"),
    (["forget", "--user", "  "], "--user: must not be empty"),
    (["serve", "--port", "-5"], "must be 0 or more"),
])
def test_nonsense_numbers_and_empty_users_are_refused(
        isolated: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        expected: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2 and expected in capsys.readouterr().err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("opensource-check 0.")
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert sub.description, f"{name} has no description"
        for action in sub._actions:
            if "--format" in action.option_strings:
                assert action.help, f"{name} --format has no help"
    usage = commands.choices["history"].format_usage()
    assert "[--limit N]\n" in usage and "history purge [-h]" in usage  # purge is optional


def test_schema_answers_and_recommendation_are_plain_json_schemas(
        isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "answers"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert main(["schema", "recommendation"]) == 0
    recommendation = json.loads(capsys.readouterr().out)
    for schema in (answers, recommendation):
        jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(answers).validate(GOOD)
    jsonschema.Draft202012Validator(answers).validate({**GOOD, "obligations": ["none"]})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(answers).validate({"upstream": "sideways"})
    answers_file = isolated / "a.json"
    answers_file.write_text(json.dumps(GOOD))
    assert main(["assess", "--answers", str(answers_file), "--format", "json"]) == 0
    jsonschema.Draft202012Validator(recommendation).validate(
        json.loads(capsys.readouterr().out))


def test_teams_package_refuses_the_example_and_takes_your_manifest(
        isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = isolated / "app.zip"
    assert main(["teams-package", "--app-id", APP_ID, "--output", str(output)]) == 2
    line = one_line(capsys.readouterr().err)
    assert "still has the example developer.name" in line and "--manifest" in line
    assert not output.exists()
    mine = json.loads((teams_dir() / "manifest.json").read_text())
    mine["developer"] = {"name": "Example Corp OSPO", "websiteUrl": "https://ospo.corp.test",
                         "privacyUrl": "https://ospo.corp.test/privacy",
                         "termsOfUseUrl": "https://ospo.corp.test/terms"}
    (isolated / "manifest.json").write_text(json.dumps(mine))  # icons: the packaged ones
    assert main(["teams-package", "--app-id", APP_ID, "--output", str(output),
                 "--manifest", str(isolated / "manifest.json")]) == 0
    with zipfile.ZipFile(output) as archive:
        packaged = json.loads(archive.read("manifest.json"))
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert packaged["developer"]["name"] == "Example Corp OSPO" and packaged["id"] == APP_ID


@pytest.mark.parametrize(("args", "expected"), [
    (["--output", "missing/app.zip", "--allow-example"],
     "the folder of --output missing/app.zip does not exist"),
    (["--manifest", "nope.json"], "cannot read the manifest nope.json"),
])
def test_teams_package_names_a_missing_folder_or_manifest(
        isolated: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        expected: str) -> None:
    assert main(["teams-package", "--app-id", APP_ID, *args]) == 2
    assert expected in one_line(capsys.readouterr().err)
