"""The real command, run in a subprocess from another directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.outcomes import Recommendation

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"upstream": "fork", "confidential": "none", "ownership": "yes"}


def run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, check=False, timeout=60)


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
    ({"upstream": "fork", "confidential": "none"}, "missing answer for question 'ownership'"),
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
    assert result.returncode == 2 and "cannot read answers" in result.stderr


def test_chat_runs_a_whole_check_in_the_terminal() -> None:
    typed = "\n".join(["2", "huh?", "3", "3", "4", "3", "3", "3", "1", "3", "1", "1", "3"])
    result = run("chat", stdin=typed + "\n")
    assert result.returncode == 0, result.stderr
    assert "Sorry, I did not understand" in result.stdout
    assert "Recommendation" in result.stdout and "Next steps" in result.stdout


def test_chat_stops_cleanly_when_input_ends() -> None:
    result = run("chat", stdin="3\n")
    assert result.returncode == 1 and "Stopped." in result.stdout


def test_the_readme_flow_diagram_is_current() -> None:
    diagram = run("flow", "--format", "mermaid").stdout.strip()
    assert f"```mermaid\n{diagram}\n```" in (ROOT / "README.md").read_text()


def test_schema_lists_every_question_and_the_recommendation() -> None:
    schema = json.loads(run("schema").stdout)
    assert schema["answers"]["properties"]["upstream"] == {"enum": ["fork", "overlaps", "no"]}
    assert "what_would_change" in schema["recommendation"]["properties"]


def test_generate_key_prints_a_usable_encryption_key() -> None:
    from bot.crypto import TokenCipher  # noqa: PLC0415

    key = run("generate-key").stdout.strip()
    assert TokenCipher(key).enabled
