"""Logs and metrics: structured logs with a request id, Prometheus counters and histograms.

Logs never carry tokens, secrets or answer text: records only get the fields named here, and
`redact` scrubs anything that looks like a Slack or Bot Framework credential from messages.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

TURNS = Counter("osc_turns_total", "Conversation turns applied", ["platform"])
CHECKS_STARTED = Counter("osc_checks_started_total", "Checks started", ["platform"])
CHECKS_COMPLETED = Counter("osc_checks_completed_total", "Checks completed", ["platform"])
OUTCOMES = Counter("osc_outcomes_total", "Recommendations by path", ["path"])
ERRORS = Counter("osc_errors_total", "Errors by kind", ["kind"])
REQUEST_LATENCY = Histogram(
    "osc_request_seconds", "HTTP request latency", ["route", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

_SECRET = re.compile(r"(xox[abposr]-[\w-]+|xapp-[\w-]+|Bearer\s+[\w.\-]+|eyJ[\w.\-]{20,})")
_FIELDS = ("request_id", "platform", "workspace", "outcome", "event_id", "route", "status",
           "duration_ms", "kind")


def redact(text: str) -> str:
    """Replace anything shaped like a token with a marker."""
    return _SECRET.sub("[redacted]", text)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
            "logger": record.name, "message": redact(record.getMessage()),
            "request_id": REQUEST_ID.get(),
        }
        entry.update({f: getattr(record, f) for f in _FIELDS if hasattr(record, f)})
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{f}={getattr(record, f)}" for f in _FIELDS if hasattr(record, f))
        line = (f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} "
                f"[{REQUEST_ID.get()}] {record.name}: {record.getMessage()} {extras}").rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def configure_logging(level: str, fmt: str) -> None:
    """Send every log record to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


# Libraries whose INFO lines say nothing an operator needs (transitions logs every trigger and
# state change: 26 lines per turn); their warnings and errors still come through.
NOISY_LOGGERS = ("aiohttp.access", "transitions", "slack_bolt", "slack_sdk", "botbuilder",
                 "msrest", "msal", "urllib3")


@web.middleware
async def observe(request: web.Request,
                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                  ) -> web.StreamResponse:
    """A request id for every request, its latency, and errors counted instead of leaked."""
    REQUEST_ID.set(request.headers.get("X-Request-Id", uuid.uuid4().hex[:16]))
    route = request.match_info.route.resource.canonical if request.match_info.route.resource \
        else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
    except web.HTTPException as error:
        status = error.status
        raise
    except RecursionError:  # JSON nested deeper than the parser can go: junk, not a bug
        status = 400
        logging.getLogger(__name__).warning("request refused: nested too deeply",
                                            extra={"route": route})
        return web.json_response({"error": "nested too deeply"}, status=400)
    except Exception:
        ERRORS.labels(kind="unhandled").inc()
        logging.getLogger(__name__).exception("request failed", extra={"route": route})
        return web.json_response({"error": "internal error"}, status=500)
    else:
        status = response.status
        return response
    finally:
        REQUEST_LATENCY.labels(route=route, status=str(status)).observe(
            time.perf_counter() - started)


async def metrics(_: web.Request) -> web.Response:
    """Prometheus exposition."""
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
