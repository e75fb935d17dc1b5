"""The terminal advisor in a real pseudo-terminal: Ctrl-C and Ctrl-D as a person presses them.

A pipe cannot show these: Ctrl-C only becomes SIGINT through a terminal's line discipline, and
the bug it guards against (an `input()` that keeps waiting for Enter after Ctrl-C) needs one.
"""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

CTRL_C, CTRL_D = b"\x03", b"\x04"
WAIT_SECONDS = 30


class Terminal:
    """`opensource-check chat` on the child side of a pseudo-terminal."""

    def __init__(self, data_home: Path) -> None:
        env = {**os.environ, "XDG_DATA_HOME": str(data_home), "COLUMNS": "100",
               "LINES": "40", "TERM": "dumb"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: replace it with the command at once
            os.execvpe(sys.executable, [sys.executable, "-m", "bot.cli", "chat"], env)  # noqa: S606  (a fixed argv, no shell involved)
        self.output = b""

    def read_until(self, marker: bytes) -> bytes:
        deadline = time.monotonic() + WAIT_SECONDS
        while marker not in self.output:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{marker!r} never came; got {self.output[-500:]!r}")
            if select.select([self.fd], [], [], 0.5)[0]:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    break
        return self.output

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def exit_code(self) -> int:
        """Wait for the child, reading what it still writes; its exit status."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._drain()
                return os.waitstatus_to_exitcode(status)
            self._drain()
            time.sleep(0.05)
        os.kill(self.pid, 9)
        raise TimeoutError(f"the chat did not exit; got {self.output[-500:]!r}")

    def _drain(self) -> None:
        while select.select([self.fd], [], [], 0)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk


@pytest.fixture
def terminal(tmp_path: Path) -> Terminal:
    return Terminal(tmp_path)


def test_ctrl_c_at_the_prompt_exits_at_once_with_130_and_says_the_answers_are_saved(
        terminal: Terminal) -> None:
    terminal.read_until(b"> ")
    terminal.send(b"no\r")
    terminal.read_until(b"Question 2 of")
    terminal.send(CTRL_C)  # no Enter: it must not wait for one
    assert terminal.exit_code() == 130
    text = terminal.output.decode(errors="replace")
    assert "saved" in text.split("Question 2 of")[-1]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text


def test_ctrl_d_at_the_prompt_exits_0_and_the_check_resumes_next_time(terminal: Terminal,
                                                                      tmp_path: Path) -> None:
    terminal.read_until(b"> ")
    terminal.send(b"no\r")
    terminal.read_until(b"Question 2 of")
    terminal.send(CTRL_D)
    assert terminal.exit_code() == 0
    assert "Traceback" not in terminal.output.decode(errors="replace")
    again = Terminal(tmp_path)
    again.read_until(b"Continue where you left off")
    again.send(b"\r")
    again.read_until(b"Question 2 of")
    again.send(CTRL_C)
    assert again.exit_code() == 130
