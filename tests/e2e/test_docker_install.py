"""No Docker engine here: run the Dockerfile's own install and start lines in a fresh venv."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.e2e.processes import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


def build_stage() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    build = text.split("\nFROM ")[1]  # [0] is the header comment, [1] the build stage
    return [line for line in build.splitlines() if line.startswith(("COPY ", "RUN "))]


def test_the_dockerfile_install_and_command_serve_a_healthy_server(tmp_path: Path) -> None:
    assert any("pip install" in line for line in build_stage())
    source, venv = tmp_path / "src", tmp_path / "venv"
    source.mkdir()
    for line in build_stage():
        if line.startswith("COPY "):
            *paths, target = line.split()[1:]
            for path in paths:
                if (ROOT / path).is_dir():  # `COPY bot ./bot`
                    shutil.copytree(ROOT / path, source / target)
                else:  # `COPY pyproject.toml README.md ./`
                    shutil.copy(ROOT / path, source / path)
        else:
            command = line.removeprefix("RUN ").replace("/opt/venv", str(venv))
            command = re.sub(r"\bpython -m venv\b", f"{sys.executable} -m venv", command)
            subprocess.run(command, shell=True, cwd=source, check=True, timeout=600)  # noqa: S602
    cmd = re.search(r'^CMD \["(.+)"\]$', (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd is not None
    argv = cmd.group(1).split('", "')
    server = ServerProcess(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}", "MICROSOFT_APP_ID": "app-id",
         "MICROSOFT_APP_PASSWORD": "app-secret", "SLACK_BOT_TOKEN": "xoxb-test",
         "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": "http://127.0.0.1:9/api/",
         "LOG_FORMAT": "json"},
        command=[str(venv / "bin" / argv[0]), *argv[1:]], cwd=tmp_path)
    try:
        server.wait_healthy()
    finally:
        assert server.terminate() == 0, server.output()
