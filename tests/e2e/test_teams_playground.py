"""A real Microsoft client: a whole check in the Microsoft 365 Agents Playground, once per SDK.

`serve --teams` (anonymous local mode) and the playground (npm @microsoft/m365agentsplayground,
installed by `.ci/run` into .ci/playground) run inside a network namespace that has only
loopback, because the page also asks an outside CDN for fonts; Debian's chromium, driven by
Playwright, plays the user (tests/e2e/playground_driver.py). Every HTTP exchange the playground
saw must be 2xx. The result card's screenshot is kept as an artefact (TEST_ARTEFACTS, default
.ci/artefacts). Without chromium, the playground, Playwright or the right to make a namespace the
test is skipped with the reason; with REQUIRE_SERVICES=1 (CI) it fails instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.playground_driver import CHROMIUM, PLAYGROUND
from tests.e2e.teams_harness import SDKS
from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
IP = shutil.which("ip") or "/usr/sbin/ip"
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS", ROOT / ".ci" / "artefacts"))


def missing() -> str | None:
    """Why the playground test cannot run here, if it cannot."""
    if not CHROMIUM.exists():
        return f"no {CHROMIUM} (apt-get install chromium)"
    if not PLAYGROUND.exists():
        return (f"no {PLAYGROUND.relative_to(ROOT)} (npm install --prefix .ci/playground "
                "@microsoft/m365agentsplayground@0.2.28)")
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not Path(IP).exists() or os.geteuid() != 0:
        return "network namespaces need root and iproute2 (ip netns)"
    return None


@pytest.fixture(scope="module")
def loopback_only() -> Iterator[str]:
    """A network namespace with only loopback, up."""
    reason = missing()
    if reason is not None:
        unavailable(f"Agents Playground test: {reason}")
    name = f"osc-playground-{uuid.uuid4().hex[:8]}"
    made = subprocess.run([IP, "netns", "add", name], capture_output=True, text=True,
                          check=False)
    if made.returncode != 0:
        unavailable(f"Agents Playground test: cannot make a network namespace: {made.stderr}")
    try:
        subprocess.run([IP, "netns", "exec", name, IP, "link", "set", "lo", "up"],
                       check=True)
        yield name
    finally:
        subprocess.run([IP, "netns", "delete", name], check=False)


@pytest.mark.parametrize("sdk", SDKS)
def test_a_whole_check_runs_in_microsofts_agents_playground(loopback_only, sdk,
                                                            tmp_path) -> None:
    run = subprocess.run([IP, "netns", "exec", loopback_only, sys.executable, "-m",
                          "tests.e2e.playground_driver", sdk, str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=110, check=False)
    found = tmp_path / "outcome.json"
    assert found.exists(), run.stderr[-3000:]
    outcome = json.loads(found.read_text(encoding="utf-8"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for picture in ("teams-result.png", "failure.png"):
        if (tmp_path / picture).exists():
            shutil.copy(tmp_path / picture, ARTEFACTS / picture.replace(".png", f"-{sdk}.png"))
    assert "error" not in outcome, (outcome["error"], (tmp_path / "server.log").read_text())
    assert outcome["result"] == "path-contribute_upstream"
    assert outcome["posted"] == "Posted the summary to My Team \u203a General."
    statuses = [exchange["status"] for exchange in outcome["exchanges"]]
    assert len(statuses) > 20
    assert all(200 <= status < 300 for status in statuses), outcome["exchanges"]
    assert (tmp_path / "teams-result.png").stat().st_size > 0
