"""The OSPO's commands, run as the real command in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
import yaml

from bot.policy import EXAMPLE
from tests.unit.test_cli import ANSWERS, run


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A store of the test's own, and no policy from the machine's environment."""
    isolated = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "POLICY_FILE")}
    return {**isolated, "DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}"}


def finish_a_check(env: dict[str, str]) -> str:
    """Run a whole check in the terminal; its check id from the history export."""
    done = run("chat", stdin="\n".join(["2", *ANSWERS]) + "\n", env=env)
    assert done.returncode == 0, done.stderr
    [row] = csv.DictReader(io.StringIO(run("history", env=env).stdout))
    assert row["check_id"] and f"Check id: {row['check_id']}" in done.stdout
    return row["check_id"]


def test_policy_init_prints_the_commented_example_and_writes_it_once(tmp_path: Path):
    printed = run("policy", "init")
    assert printed.returncode == 0 and printed.stdout == EXAMPLE
    target = tmp_path / "policy.yaml"
    assert run("policy", "init", "--output", str(target)).returncode == 0
    assert yaml.safe_load(target.read_text())["licensing"]["outbound"] == "Apache-2.0"
    again = run("policy", "init", "--output", str(target))
    assert again.returncode == 2 and "exists" in again.stderr


def test_policy_check_accepts_a_good_file_and_names_the_key_of_a_bad_one(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(EXAMPLE)
    checked = run("policy", "check", str(good))
    assert checked.returncode == 0 and "valid" in checked.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("review:\n  paths: [open_source]\n  chase_after: 3\n")
    refused = run("policy", "check", str(bad))
    assert refused.returncode == 2
    assert str(bad) in refused.stderr and "review.chase_after: unknown key" in refused.stderr


@pytest.mark.parametrize("given", ["option", "setting"])
def test_serve_refuses_to_start_with_a_bad_policy_file(tmp_path: Path, env, given: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text("slack: {reviewers: U1}\n")
    if given == "option":
        started = run("serve", "--teams", "--port", "0", "--policy", str(bad), env=env)
    else:
        started = run("serve", "--teams", "--port", "0", env={**env, "POLICY_FILE": str(bad)})
    assert started.returncode == 2 and "Traceback" not in started.stderr
    named = "--policy" if given == "option" else "POLICY_FILE"
    assert f"{named} {bad}: invalid policy" in started.stderr
    assert "slack.reviewers" in started.stderr


def test_a_terminal_check_can_be_reviewed_listed_recorded_and_exported(tmp_path: Path, env):
    policy = tmp_path / "policy.yaml"
    policy.write_text("review: {paths: [keep_closed, innersource, innersource_first, "
                      "open_source, partner_source, contribute_upstream]}\n")
    env = {**env, "POLICY_FILE": str(policy)}
    check = finish_a_check(env)
    requested = run("review", "request", "--check", check, "--name", "=HYPERLINK(evil)", env=env)
    assert requested.returncode == 0, requested.stderr
    assert "pending" in requested.stdout
    [review] = json.loads(run("reviews", "--format", "json", env=env).stdout)
    assert (review["check_id"], review["state"]) == (check, "pending")
    assert run("reviews", "--status", "approved", env=env).stdout.count("\n") == 1
    [row] = csv.DictReader(io.StringIO(run("reviews", env=env).stdout))
    assert row["name"] == "'=HYPERLINK(evil)"  # a spreadsheet shows it, never runs it
    [exported] = csv.DictReader(io.StringIO(run("history", env=env).stdout))
    assert (exported["review_status"], exported["review_id"]) == ("pending", review["id"])
    [as_json] = json.loads(run("history", "--format", "json", env=env).stdout)
    assert as_json["review"]["state"] == "pending"
    record = run("record", check, env=env)
    assert record.returncode == 0 and "## Approvals" in record.stdout
    assert "Review requested by" in record.stdout


def test_review_request_and_record_name_an_unknown_check(env):
    for command in (("review", "request", "--check", "nope"), ("record", "nope")):
        refused = run(*command, env=env)
        assert refused.returncode == 2 and "no finished check nope" in refused.stderr
