"""`serve --workers N`: N server processes on one port, each with its own event loop.

One process is bound by one core (a turn is CPU work between store and platform calls). The
parent checks the settings, then forks N workers; each binds the port with SO_REUSEPORT, so
the kernel spreads new connections over them, and runs the ordinary `serve` (its own loop,
store connections, turns in flight and rate limits: a worker behaves like a replica). The
parent only supervises: SIGTERM or SIGINT is passed on to every worker, each finishing its
requests and turns in flight; when a worker dies on its own, the others are stopped and the
parent exits with its code, so the container's restart policy brings the whole set back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

from bot.errors import ConfigurationError
from bot.settings import Settings

MAX_WORKERS = 64


def check_workers(workers: int, *, port: int, metrics_port: int | None) -> None:
    """ConfigurationError naming what to change when N workers cannot share the settings."""
    if not 1 <= workers <= MAX_WORKERS:
        raise ConfigurationError(f"--workers must be between 1 and {MAX_WORKERS} "
                                 f"(got {workers})")
    if workers == 1:
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ConfigurationError("--workers needs SO_REUSEPORT, which this system lacks; "
                                 "run one process per replica instead")
    if port == 0:
        raise ConfigurationError("--workers needs a fixed port: with PORT=0 each worker would "
                                 "pick a port of its own")
    if metrics_port is not None:
        raise ConfigurationError("--workers cannot serve METRICS_PORT (each worker keeps its "
                                 "own counters); unset METRICS_PORT, or run one worker per "
                                 "replica")


def serve_workers(workers: int, settings: Settings, *, port: int, teams: bool | None) -> int:
    """Check the settings (ConfigurationError before any worker starts), then fork `workers`
    processes serving on `port` and supervise them; the exit code: 0 when all stopped on a
    signal."""
    from bot.bootstrap import check_platforms, serve  # noqa: PLC0415  (server code on demand)
    from bot.connections import GuardedSite  # noqa: PLC0415

    check_workers(workers, port=port, metrics_port=settings.metrics_port)
    check_platforms(settings, slack=None, teams=teams)
    GuardedSite.reuse_port = workers > 1  # inherited by every worker forked below
    return fork_workers(workers, lambda: serve(settings, port=port, teams=teams))


def fork_workers(workers: int, serve_one: Callable[[], None]) -> int:
    """Fork `workers` processes that each call `serve_one`, supervise them, and answer the
    exit code."""
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: serve, then leave without running the parent's exit code
            code = 0
            try:
                serve_one()
            except BaseException:  # noqa: BLE001  (the traceback is the worker's last word)
                import traceback  # noqa: PLC0415

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    return _supervise(children)


def _supervise(children: list[int]) -> int:
    stopping = False

    running = set(children)

    def stop(signal_number: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        _signal_all(running, signal_number)

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, stop)
    code = 0
    while running:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover  (PEP 475 retries; kept for clarity)
            continue
        running.discard(pid)
        exit_code = os.waitstatus_to_exitcode(status)
        if not stopping:  # a worker died on its own: stop the others, report its code
            stopping = True
            code = exit_code or 1
            _signal_all(running, signal.SIGTERM)
    return code


def _signal_all(children: set[int], signal_number: int) -> None:
    for pid in list(children):  # only workers not yet reaped: their pids are still theirs
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal_number)
