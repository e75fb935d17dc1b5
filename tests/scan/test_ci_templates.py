"""The CI templates' own scripts, run with bash on generated repositories with an answers file
committed in them: the summary gets both reports, and the job fails exactly when a finding
blocks the recommended path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.scan.corpus import MIT, commit, init, planted_secrets

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {"upstream": "fork", "upstream_health": "active", "confidential": "none",
           "differentiator": "no", "obligations": "none", "ownership": "yes", "entities": "one"}


def github_script() -> str:
    workflow = yaml.safe_load((ROOT / "ci-templates" / "github-actions.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["readiness"]["steps"] if s.get("name") ==
               "Scan and assess"]
    return str(step["run"])


def gitlab_script() -> str:
    job = yaml.safe_load((ROOT / "ci-templates" / "gitlab-ci.yml").read_text())
    return "\n".join(job["opensource-check"]["script"])


def run_job(script: str, repository: Path, tmp_path: Path) -> tuple[int, str]:
    """The script as the runner would run it (bash -e), with this project's command on PATH."""
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(tmp_path),
           "CI_PROJECT_DIR": str(repository)}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=repository, env=env,  # noqa: S607
                            capture_output=True, text=True, check=False, timeout=180)
    written = summary if summary.exists() else repository / "opensource-check.md"
    return result.returncode, written.read_text() if written.exists() else result.stderr


def repository(root: Path, secret_in_history: bool) -> Path:
    init(root)
    commit(root, {"README.md": "# Tool\n", "LICENSE": MIT.format(year=2026, holder="Acme"),
                  ".opensource-check/answers.json": json.dumps(ANSWERS)}, "start")
    if secret_in_history:
        commit(root, {"ci.env": planted_secrets(seed=5)["GitLab Token"] + "\n"}, "ci settings")
        commit(root, {"ci.env": None}, "oops, remove it")
    return root


@pytest.mark.parametrize("script", [github_script, gitlab_script], ids=["github", "gitlab"])
def test_the_ci_job_fails_on_a_secret_in_the_history_with_both_reports(
        script, tmp_path: Path) -> None:
    code, summary = run_job(script(), repository(tmp_path / "repo", True), tmp_path)
    assert code == 1, summary
    assert "# Repository scan" in summary and "GitLab Token" in summary
    assert "# Contribute upstream" in summary


@pytest.mark.parametrize("script", [github_script, gitlab_script], ids=["github", "gitlab"])
def test_the_ci_job_passes_a_clean_repository(script, tmp_path: Path) -> None:
    code, summary = run_job(script(), repository(tmp_path / "repo", False), tmp_path)
    assert code == 0, summary
    assert "# Repository scan" in summary and "# Contribute upstream" in summary
