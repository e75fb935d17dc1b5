"""`opensource-check scan` end to end on generated git repositories, run as the real command in
a subprocess: findings with their files and commits, suggested answers, `assess --evidence`,
the CI exit contract, values never printed, and no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.outcomes import Recommendation
from bot.scan.model import ScanReport
from tests.scan.corpus import MIT, commit, git, init, planted_secrets

ROOT = Path(__file__).resolve().parents[2]
SECRETS = planted_secrets(seed=11)
POLICY = """\
authorship:
  entities:
    Acme Inc: [acme.com]
    Acme GmbH: [acme.de]
  contractors: [devshop.io]
internal_patterns: ["*.acme.net"]
"""
FORK = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
        "differentiator": "no", "obligations": "none", "entities": "one"}  # ownership is asked


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], text=True,
                          capture_output=True, cwd=cwd or ROOT, check=False, timeout=120)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init(tmp_path_factory.mktemp("scan") / "repo")
    commit(root, {"README.md": "# Demo\n", "LICENSE": MIT.format(year=2025, holder="Acme"),
                  "src/app.py": "import ssl\nAPI = 'https://billing.acme.net/v1'\n"},
           "start", author="ann@acme.com")
    commit(root, {"deploy.env": SECRETS["AWS Access Key"] + "\n"}, "deploy settings",
           author="bob@devshop.io")
    commit(root, {"deploy.env": None}, "remove the key", author="ann@acme.com")
    commit(root, {"vendor/parser/parser.c": "// SPDX-License-Identifier: GPL-3.0-only\nint p;\n",
                  "tests/fixtures/users.csv": "email\ncarl.jones@gmail.com\ndora@web.de\n",
                  "src/config.py": SECRETS["GitHub Token"] + "\n"},
           "vendor a parser", author="eve@acme.de")
    return root


@pytest.fixture(scope="module")
def report(repository: Path) -> ScanReport:
    policy = repository.parent / "policy.yaml"
    policy.write_text(POLICY)
    result = run("scan", str(repository), "--format", "json", "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    return ScanReport.model_validate_json(result.stdout)


def test_a_secret_removed_from_the_tree_is_found_in_the_commit_that_added_it(
        report: ScanReport, repository: Path) -> None:
    (aws,) = [f for f in report.secrets if f.kind == "AWS Access Key"]
    added = git(repository, "log", "--format=%H", "--", "deploy.env").split()[-1]
    assert aws.removed and aws.in_history and not aws.in_working_tree
    assert [(loc.path, loc.line, loc.commit) for loc in aws.locations] == [
        ("deploy.env", 1, added)]


def test_a_secret_in_the_working_tree_names_its_file_line_and_commit(report: ScanReport) -> None:
    (github,) = [f for f in report.secrets if f.kind == "GitHub Token"]
    assert github.in_working_tree and not github.removed
    assert [(loc.path, loc.line) for loc in github.locations] == [("src/config.py", 1)]


def test_licences_copyleft_and_vendored_code_are_reported_where_they_sit(
        report: ScanReport) -> None:
    found = {(f.expression, f.source, f.copyleft, f.third_party,
              tuple(loc.path for loc in f.locations)) for f in report.licences}
    assert found == {("MIT", "file", None, False, ("LICENSE",)),
                     ("GPL-3.0-only", "header", "strong", True, ("vendor/parser/parser.c",))}


def test_personal_data_cryptography_authors_and_internal_hosts_are_reported(
        report: ScanReport) -> None:
    assert [(f.kind, f.count) for f in report.personal_data] == [("email", 2)]
    assert [(f.kind, f.what) for f in report.cryptography] == [("use", "Python ssl (TLS)")]
    assert {(a.domain, a.commits, a.role, a.entity) for a in report.authors} == {
        ("acme.com", 2, "entity", "Acme Inc"), ("acme.de", 1, "entity", "Acme GmbH"),
        ("devshop.io", 1, "contractor", None)}
    assert [(r.kind, r.target) for r in report.internal_references] == [
        ("host", "billing.acme.net")]
    assert {d.name for d in report.documents if d.path is None} == {
        "CONTRIBUTING", "CODE_OF_CONDUCT", "SECURITY", "CODEOWNERS"}


def test_the_scan_suggests_answers_with_their_evidence(report: ScanReport) -> None:
    by_answer = {(e.question, str(e.answer)): e for e in report.suggestions}
    assert set(by_answer) == {
        ("obligations", "['copyleft']"), ("obligations", "['secrets']"),
        ("obligations", "['personal_data']"), ("obligations", "['encryption']"),
        ("ownership", "unsure"), ("entities", "unknown"), ("internal_only", "partly")}
    assert "GPL-3.0-only" in by_answer[("obligations", "['copyleft']")].detail
    assert "vendor/parser/parser.c" in by_answer[("obligations", "['copyleft']")].detail
    assert "devshop.io" in by_answer[("ownership", "unsure")].detail
    assert "Acme GmbH" in by_answer[("entities", "unknown")].detail


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_no_format_ever_prints_a_secret_or_personal_value(repository: Path, fmt: str) -> None:
    result = run("scan", str(repository), "--format", fmt)
    assert result.returncode == 0, result.stderr
    values = [SECRETS["AWS Access Key"].split('"')[1], SECRETS["GitHub Token"].split()[-1],
              "carl.jones@gmail.com", "dora@web.de"]
    assert "deploy.env" in result.stdout
    assert not [value for value in values if value in result.stdout + result.stderr]


def test_the_scan_makes_no_network_call(repository: Path) -> None:
    # An audit hook refuses every socket the scan's own process would open or resolve.
    guard = ("import sys\n"
             "def refuse(event, args):\n"
             "    if event.startswith(('socket.', 'urllib.')):\n"
             "        raise RuntimeError(f'network call during the scan: {event}')\n"
             "sys.addaudithook(refuse)\n"
             "from bot.cli import main\n"
             f"sys.exit(main(['scan', {str(repository)!r}, '--format', 'json']))\n")
    result = subprocess.run([sys.executable, "-c", guard], capture_output=True, text=True,
                            cwd=ROOT, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert ScanReport.model_validate_json(result.stdout).secrets


def test_the_audit_hook_of_the_network_test_does_catch_a_socket() -> None:
    guard = ("import sys, socket\n"
             "sys.addaudithook(lambda e, a: (_ for _ in ()).throw(RuntimeError(e))"
             " if e.startswith('socket.') else None)\n"
             "socket.getaddrinfo('localhost', 80)\n")
    result = subprocess.run([sys.executable, "-c", guard], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode != 0 and "socket.getaddrinfo" in result.stderr


def test_fail_on_secrets_exits_1_and_names_the_kind(repository: Path) -> None:
    result = run("scan", str(repository), "--format", "markdown", "--fail-on", "secrets")
    assert result.returncode == 1
    assert "AWS Access Key" in result.stderr and "# Repository scan" in result.stdout


def test_fail_on_passes_a_clean_repository(tmp_path: Path) -> None:
    root = init(tmp_path / "clean")
    commit(root, {"README.md": "# Clean\n", "LICENSE": MIT.format(year=2026, holder="Acme")},
           "start")
    result = run("scan", str(root), "--fail-on", "secrets,copyleft,personal_data")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--fail-on", "viruses"], "--fail-on knows secrets"),
    (["--policy", "/nonexistent/policy.yaml"], "cannot read the policy file"),
])
def test_bad_scan_options_exit_2_with_a_clear_message(repository: Path, args: list[str],
                                                      message: str) -> None:
    result = run("scan", str(repository), *args)
    assert result.returncode == 2 and message in result.stderr and not result.stdout


def test_a_folder_that_is_not_a_checkout_exits_2(tmp_path: Path) -> None:
    result = run("scan", str(tmp_path))
    assert result.returncode == 2 and "not a git checkout" in result.stderr


def test_a_repository_without_commits_scans_its_files(tmp_path: Path) -> None:
    root = init(tmp_path / "empty")
    (root / "README.md").write_text("# new\n")
    result = run("scan", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = ScanReport.model_validate_json(result.stdout)
    assert report.head is None and report.files == 1 and report.commits == 0


@pytest.fixture
def evidence(report: ScanReport, tmp_path: Path) -> Path:
    path = tmp_path / "scan.json"
    path.write_text(report.model_dump_json())
    return path


def test_assess_fills_unanswered_questions_from_the_evidence_and_lists_it(
        evidence: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(FORK))  # ownership not answered: the scan says unsure
    result = run("assess", "--answers", str(answers), "--evidence", str(evidence),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    rec = Recommendation.model_validate_json(result.stdout)
    assert [(e.question, e.answer) for e in rec.evidence] == [("ownership", "unsure")]
    assert "devshop.io" in rec.evidence[0].detail


def test_the_users_answer_wins_over_the_evidence(evidence: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**FORK, "ownership": "yes"}))
    result = run("assess", "--answers", str(answers), "--evidence", str(evidence),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    assert Recommendation.model_validate_json(result.stdout).evidence == []


def test_assess_markdown_shows_the_evidence_used(evidence: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(FORK))
    result = run("assess", "--answers", str(answers), "--evidence", str(evidence),
                 "--format", "markdown")
    assert result.returncode == 0, result.stderr
    used = result.stdout.split("## Evidence used", 1)[1]
    assert used.split("\n")[2].startswith("- Not sure (")  # ownership, in the user's words
    assert "devshop.io" in used


def test_fail_on_blocking_exits_1_for_secrets_in_the_history(evidence: Path,
                                                              tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**FORK, "ownership": "yes"}))
    result = run("assess", "--answers", str(answers), "--evidence", str(evidence),
                 "--fail-on-blocking", "--format", "markdown")
    assert result.returncode == 1
    assert "AWS Access Key" in result.stderr and "still in the git history" in result.stderr
    assert result.stdout.startswith("# ")


def test_a_file_that_is_not_a_scan_report_is_refused(tmp_path: Path) -> None:
    answers, bad = tmp_path / "answers.json", tmp_path / "scan.json"
    answers.write_text(json.dumps(FORK))
    bad.write_text('{"hello": 1}')
    result = run("assess", "--answers", str(answers), "--evidence", str(bad))
    assert result.returncode == 2 and "is not a scan report" in result.stderr


def test_a_shallow_clone_is_scanned_and_says_what_it_could_not_read(repository: Path,
                                                                     tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repository}", str(clone))
    result = run("scan", str(clone), "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "This is a shallow clone" in result.stdout
    assert "AWS Access Key" not in result.stdout  # removed before the clone's depth


def test_a_symbolic_link_out_of_the_checkout_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.env"
    outside.write_text(SECRETS["Stripe Access Key"] + "\n")
    root = init(tmp_path / "links")
    (root / "linked.env").symlink_to(outside)
    commit(root, {"README.md": "# Links\n"}, "start")
    git(root, "add", "linked.env")
    git(root, "commit", "-q", "-m", "a link")
    result = run("scan", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert ScanReport.model_validate_json(result.stdout).secrets == []


def test_chat_offers_the_scans_suggestion_with_its_evidence_and_enter_takes_it(
        evidence: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'state.db'}"
    env["COLUMNS"] = "250"  # no wrapped lines to match across
    # fork of an active upstream, nothing confidential, no differentiator, no obligations,
    # then Enter at the ownership question the scan answers, and one legal entity
    typed = "\n".join(["1", "1", "3", "3", "none", "", "1"]) + "\n"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--evidence",
                             str(evidence)], input=typed, text=True, capture_output=True,
                            cwd=ROOT, env=env, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "The repository scan suggests: Not sure" in result.stdout
    assert "devshop.io" in result.stdout
    assert "Recommendation" in result.stdout
    assert "Ask legal to confirm the rights" in result.stdout  # the scan's answer was used


def test_chat_lets_the_user_answer_otherwise(evidence: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'state.db'}"
    env["COLUMNS"] = "250"  # no wrapped lines to match across
    typed = "\n".join(["1", "1", "3", "3", "none", "1", "1"]) + "\n"  # all the rights: "yes"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--evidence",
                             str(evidence)], input=typed, text=True, capture_output=True,
                            cwd=ROOT, env=env, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "The repository scan suggests: Not sure" in result.stdout
    assert "Ask legal to confirm the rights" not in result.stdout


def test_a_licence_file_pointing_to_the_files_beside_it_is_what_they_are(
        tmp_path: Path) -> None:
    root = init(tmp_path / "dual")
    pointer = ("This software is made available under the terms of *either* of the licenses\n"
               "found in LICENSE.MIT or LICENSE.OTHER.\n")
    commit(root, {"LICENSE": pointer, "LICENSE.MIT": MIT.format(year=2025, holder="Acme"),
                  "LICENSE.OTHER": "You may use this if you buy me a coffee.\n",
                  "lib/LICENSE": "See LICENSE.MIT, which is not in this folder.\n"}, "start")
    result = run("scan", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    found = {(f.expression, tuple(loc.path for loc in f.locations))
             for f in ScanReport.model_validate_json(result.stdout).licences}
    assert found == {("MIT OR LicenseRef-unknown", ("LICENSE",)),
                     ("MIT", ("LICENSE.MIT",)),
                     ("LicenseRef-unknown", ("LICENSE.OTHER", "lib/LICENSE"))}


GPL_COMMENT = """/* parse.c - copied from the parser project
 * Copyright (C) 2001 Some One
 *
 * This program is free software; you can redistribute it and/or modify it under the terms
 * of the GNU General Public License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */
int parse(void) { return 0; }
"""


ORM_HEADER = """# orm/base.py
# Copyright (C) 2005-2026 the ORM authors and contributors
#
# This module is part of the ORM and is released under
# the MIT License: https://www.opensource.org/licenses/mit-license.php
\"\"\"Base classes of the mapper.\"\"\"
"""


def test_code_copied_with_its_licence_in_a_comment_is_reported_and_suggests_copyleft(
        tmp_path: Path) -> None:
    root = init(tmp_path / "copied")
    commit(root, {"LICENSE": MIT.format(year=2025, holder="Acme"),
                  "third_party/parser/parse.c": GPL_COMMENT,
                  "third_party/orm/base.py": ORM_HEADER,
                  "src/main.c": "/* Our service. */\nint main(void) { return 0; }\n"}, "start")
    result = run("scan", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = ScanReport.model_validate_json(result.stdout)
    found = {(f.expression, f.source, f.copyleft, f.third_party,
              tuple(str(loc) for loc in f.locations)) for f in report.licences}
    assert found == {("MIT", "file", None, False, ("LICENSE",)),
                     ("GPL-2.0-or-later", "comment", "strong", True,
                      ("third_party/parser/parse.c:1",)),
                     ("MIT", "comment", None, True, ("third_party/orm/base.py:1",))}
    (copyleft,) = [e for e in report.suggestions if e.answer == ["copyleft"]]
    assert "GPL-2.0-or-later" in copyleft.detail and "third_party/parser/parse.c" in copyleft.detail


def test_test_values_marked_as_allowed_are_counted_but_not_reported_or_blocking(
        tmp_path: Path) -> None:
    root = init(tmp_path / "marked")
    key = SECRETS["GitHub Token"]
    commit(root, {"tests/test_api.py": f'TOKEN = "{key}"  # pragma: allowlist secret\n'},
           "a test key, marked")
    result = run("scan", str(root), "--format", "markdown", "--fail-on", "secrets")
    assert result.returncode == 0, result.stderr
    assert "1 more on lines marked `pragma: allowlist secret`" in result.stdout
    assert key not in result.stdout
    commit(root, {"src/config.py": f'TOKEN = "{key}"\n'}, "the same key, unmarked")
    result = run("scan", str(root), "--format", "json", "--fail-on", "secrets")
    assert result.returncode == 1
    report = ScanReport.model_validate_json(result.stdout)
    assert report.allowed_secrets == 1
    assert [(f.kind, [loc.path for loc in f.locations]) for f in report.secrets] == [
        ("GitHub Token", ["src/config.py"])]
