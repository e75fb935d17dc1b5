"""Real `opensource-check serve` processes for tests: start on a free port, wait for health."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

STARTUP_SECONDS = 30


def free_port() -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server process; `command` defaults to the installed console script's module."""

    def __init__(self, env: dict[str, str], command: list[str] | None = None,
                 cwd: Path | None = None) -> None:
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full one would
        # block the server's logging mid-test.
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed when reaped)
        self._output = ""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "bot.cli", "serve"], env=full_env, cwd=cwd,
            stdout=self._log, stderr=subprocess.STDOUT, text=True)

    def wait_healthy(self) -> float:
        """Seconds until /healthz answered 200; fails with the server's output otherwise."""
        started = time.perf_counter()
        while time.perf_counter() - started < STARTUP_SECONDS:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.output()}")
            try:
                health = f"{self.url}/healthz"  # always a loopback http URL
                with urllib.request.urlopen(health, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"server not healthy in {STARTUP_SECONDS}s:\n{self.output()}")

    def terminate(self) -> int:
        """SIGTERM and wait: the graceful path."""
        self.process.send_signal(signal.SIGTERM)
        return self._reap(30)

    def kill(self) -> None:
        """SIGKILL: the crash path."""
        self.process.kill()
        self._reap(10)

    def output(self) -> str:
        """Everything the server printed (empty while it runs)."""
        if self.process.poll() is not None:
            self._reap(0)
        return self._output

    def _reap(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        if not self._log.closed:
            self._log.seek(0)
            self._output = self._log.read()
            self._log.close()
        return code
