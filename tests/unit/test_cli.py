"""The real command, run in a subprocess from another directory."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.core.outcomes import Recommendation

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
        "differentiator": "no", "obligations": ["none"], "entities": "one", "ownership": "yes"}
# Typed answers of one whole check in the terminal, after "2" (overlaps) to the first question.
# Flow v2: upstream health first (1, active), and obligations (8, none) before ownership.
ANSWERS = ["1", "3", "3", "4", "3", "3", "3", "1", "3", "8", "1", "1", "3"]


def run(*args: str, stdin: str = "", cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, check=False, timeout=60, env=env)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment with a store of the test's own: chat and history never touch the user's."""
    isolated = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**isolated, "DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}


def test_assess_prints_the_recommendation_contract_as_json(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**GOOD, "motivation": "none"}))  # skipped: ignored
    result = run("assess", "--answers", str(answers), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rec = Recommendation.model_validate_json(result.stdout)
    assert rec.path == "contribute_upstream"


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_assess_reads_standard_input_in_every_format(fmt: str) -> None:
    result = run("assess", "--answers", "-", "--format", fmt, stdin=json.dumps(GOOD))
    assert result.returncode == 0 and "Contribute upstream" in result.stdout


@pytest.mark.parametrize(("answers", "message"), [
    ({k: v for k, v in GOOD.items() if k != "ownership"},
     "missing answer for question 'ownership'"),
    ({**GOOD, "colour": "red"}, "unknown question 'colour'"),
    ({**GOOD, "ownership": "perhaps"}, "unknown option 'perhaps' for question 'ownership'"),
    (["fork"], "must be a JSON object"),
])
def test_bad_answers_exit_2_naming_the_problem(answers, message) -> None:
    result = run("assess", "--answers", "-", stdin=json.dumps(answers))
    assert result.returncode == 2
    assert message in result.stderr and not result.stdout


def test_unreadable_answers_exit_2() -> None:
    result = run("assess", "--answers", "-", stdin="{not json")
    expected = "cannot read answers from standard input: not JSON at line 1, column 2"
    assert result.returncode == 2 and expected in result.stderr


def test_chat_runs_a_whole_check_in_the_terminal(env) -> None:
    typed = "\n".join(["2", "huh?", *ANSWERS])
    result = run("chat", stdin=typed + "\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "Sorry, I did not understand" in result.stdout
    assert "Recommendation" in result.stdout and "Next steps" in result.stdout


def test_chat_stops_cleanly_when_input_ends(env) -> None:
    result = run("chat", stdin="3\n", env=env)
    assert result.returncode == 0 and "Stopped." in result.stdout
    assert "Traceback" not in result.stderr


def test_a_chat_killed_mid_check_resumes_at_the_same_question(env) -> None:
    chat = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat"], text=True, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(60, chat.kill)
    watchdog.start()
    try:
        chat.stdin.write("2\n3\n")
        chat.stdin.flush()
        assert wait_for_line(chat, "Question 3 of")  # two answers saved, the third asked
    finally:
        chat.kill()  # SIGKILL: no chance to clean up
        chat.communicate()
        watchdog.cancel()
    resumed = run("chat", stdin="\n".join(["", *ANSWERS[1:]]) + "\n", env=env)  # "": yes
    assert resumed.returncode == 0, resumed.stderr
    assert "Continue where you left off? [Y/n]" in resumed.stdout
    assert resumed.stdout.index("Question 3 of") < resumed.stdout.index("\u2714")
    assert "Question 1 of" not in resumed.stdout and "Recommendation" in resumed.stdout
    exported = json.loads(run("history", "--format", "json", env=env).stdout)
    assert len(exported) == 1 and exported[0]["platform"] == "terminal"
    answers = exported[0]["answers"]
    assert (answers["upstream"], answers["confidential"]) == ("overlaps", "none")  # before kill


def test_declining_to_resume_starts_over_at_the_first_question(env) -> None:
    run("chat", stdin="2\n", env=env)
    again = run("chat", stdin="n\n", env=env)
    assert "Continue where you left off" in again.stdout
    assert "Starting over." in again.stdout and "Question 1 of" in again.stdout


def test_history_exports_completed_checks_as_csv_filtered_by_user(env) -> None:
    run("chat", stdin="\n".join(["2", *ANSWERS]) + "\n", env=env)
    rows = list(csv.DictReader(io.StringIO(run("history", env=env).stdout)))
    assert len(rows) == 1 and rows[0]["path"] and rows[0]["answer.upstream"] == "overlaps"
    assert run("history", "--user", "nobody", env=env).stdout.count("\n") == 1  # header only


def wait_for_line(process: subprocess.Popen[str], marker: str) -> bool:
    """Read the process's output until a line holds `marker` (False if output ends first)."""
    assert process.stdout is not None
    return any(marker in line for line in process.stdout)


def test_the_readme_flow_diagram_is_current() -> None:
    diagram = run("flow", "--format", "mermaid").stdout.strip()
    assert f"```mermaid\n{diagram}\n```" in (ROOT / "README.md").read_text()


def test_schema_lists_every_question_and_the_recommendation() -> None:
    answers = json.loads(run("schema", "answers").stdout)
    assert answers["properties"]["upstream"] == {"enum": ["fork", "overlaps", "no"]}
    assert "what_would_change" in json.loads(run("schema", "recommendation").stdout)["properties"]


def test_generate_key_prints_a_usable_encryption_key() -> None:
    from bot.crypto import TokenCipher  # noqa: PLC0415

    key = run("generate-key").stdout.strip()
    assert TokenCipher(key).enabled


def test_forget_erases_one_users_checks_and_nobody_elses(env) -> None:
    run("chat", stdin="\n".join(["2", *ANSWERS]) + "\n", env=env)
    user = next(csv.DictReader(io.StringIO(run("history", env=env).stdout)))["user_id"]
    result = run("forget", "--user", user, env=env)
    assert result.returncode == 0 and f"of user {user}" in result.stdout
    assert run("history", env=env).stdout.count("\n") == 1  # header only
    assert "Erased 0 records" in run("forget", "--user", "someone-else", env=env).stdout


def test_history_purge_keeps_checks_inside_the_retention_period(env) -> None:
    run("chat", stdin="\n".join(["2", *ANSWERS]) + "\n", env=env)
    kept = run("history", "purge", "--yes", env=env)
    assert kept.returncode == 0 and "Deleted 0 checks" in kept.stdout
    assert run("history", env=env).stdout.count("\n") == 2
    preview = run("history", "purge", "--older-than-days", "0", "--dry-run", env=env)
    assert "Would delete 1 checks" in preview.stdout
    assert run("history", env=env).stdout.count("\n") == 2  # a preview deletes nothing
    gone = run("history", "purge", "--older-than-days", "0", "--yes", env=env)
    assert "Deleted 1 checks" in gone.stdout
