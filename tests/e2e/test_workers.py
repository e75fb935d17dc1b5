"""`serve --workers N`: N processes share one port, and SIGTERM stops them all."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.workers import check_workers
from tests.e2e.processes import ServerProcess
from tests.e2e.slack_testbed import SIGNING_SECRET


def children_of(pid: int) -> set[int]:
    """Live child processes of `pid`, from /proc (Linux)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_two_workers_serve_one_port_and_sigterm_stops_both(tmp_path) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": "http://127.0.0.1:9/api/", "LOG_LEVEL": "WARNING",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'workers.db'}"}
    server = ServerProcess(env, [sys.executable, "-m", "bot.cli", "serve", "--workers", "2"])
    try:
        server.wait_healthy()
        workers = children_of(server.process.pid)
        assert len(workers) == 2
        for _ in range(20):  # both listen: every connection is answered, whichever takes it
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:  # noqa: S310
                assert response.status == 200
    finally:
        code = server.terminate()
    assert code == 0, server.output()
    assert not children_of(server.process.pid)


@pytest.mark.parametrize(("workers", "port", "metrics", "says"), [
    (0, 3000, None, "between 1 and 64"),
    (2, 0, None, "fixed port"),
    (2, 3000, 9100, "METRICS_PORT"),
])
def test_workers_that_cannot_share_the_settings_are_refused_naming_why(
        workers, port, metrics, says) -> None:
    with pytest.raises(ConfigurationError, match=says):
        check_workers(workers, port=port, metrics_port=metrics)
    check_workers(1, port=0, metrics_port=9100)  # one worker is the ordinary server
