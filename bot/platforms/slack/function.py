"""The Workflow Builder step "Check open source readiness": a custom function an OSPO drops into
its request workflows, answered with the same Engine.assess as every chat.

Its inputs are generated from the flow (one per question, plus the requester), so the manifest
cannot drift from the questions: tests compare manifest.json with `definition()`. A bad input
fails the step at once with a message naming the input; it never times out.
"""

from __future__ import annotations

import json
import logging
import pathlib
import re
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.advisor import Advisor
from bot.core.engine import InvalidAnswerError, MissingAnswerError
from bot.core.flow import FlowDefinition, Question, normalise
from bot.core.outcomes import AnswerValue, Governance, Path, Recommendation
from bot.store.base import HistoryEntry

log = logging.getLogger(__name__)

CALLBACK_ID = "check_open_source_readiness"
TITLE = "Check open source readiness"
REQUESTER = "requester"
CHANNEL = "workflow"  # what the history shows as the check's channel
BUSY = "opensource-check is busy right now and did not run this step; please run it again."
USER_ID = re.compile(r"[UW][A-Z0-9]+")

OUTPUTS: dict[str, dict[str, Any]] = {
    "path": {"type": "string", "title": "Path",
             "description": "The recommended path: " + ", ".join(p.value for p in Path)},
    "governance": {"type": "string", "title": "Governance",
                   "description": "The governance model to start with: "
                                  + ", ".join(g.value for g in Governance)},
    "target_governance": {"type": "string", "title": "Target governance",
                          "description": "The model to move to later, in public; empty if none"},
    "flags": {"type": "array", "items": {"type": "string"}, "title": "Flags",
              "description": "Issues to handle first (tax, legal, capacity...), by id"},
    "conflict_count": {"type": "integer", "title": "Conflicts",
                       "description": "How many pairs of answers pull in different directions"},
    "summary": {"type": "string", "title": "Summary",
                "description": "The recommendation and its main reasons, as plain text"},
}


class BadInputError(ValueError):
    """An input the step cannot use; the message names it and says what would work."""


def _title(question: Question) -> str:
    return question.id.replace("_", " ").capitalize()


def _input(question: Question) -> dict[str, Any]:
    ids = ", ".join(o.id for o in question.options)
    parameter: dict[str, Any] = {
        "type": "string", "name": question.id, "title": _title(question),
        "description": question.prompt, "hint": f"One of: {ids} (or the answer's label)",
        "is_required": False}
    if question.multiple:
        parameter.update(type="array", items={"type": "string"},
                         hint=f"Any of: {ids} (a list, or comma-separated)")
    return parameter


def definition(flow: FlowDefinition) -> dict[str, Any]:
    """The manifest's entry for the step: an input per question of `flow`, and the outputs.

    No answer input is required: which questions matter depends on the earlier answers, so a
    missing one is named when the step runs.
    """
    inputs = {q.id: _input(q) for q in flow.questions}
    inputs[REQUESTER] = {"type": "slack#/types/user_id", "name": REQUESTER, "title": "Requester",
                         "description": "Who asks; the check appears in their history",
                         "is_required": True}
    return {"title": TITLE,
            "description": "Recommends keeping code closed, InnerSource or open source, and a "
                           "governance model, from the answers to the opensource-check questions",
            "input_parameters": inputs,
            "output_parameters": {name: {**spec, "name": name, "is_required": True}
                                  for name, spec in OUTPUTS.items()}}


@dataclass(frozen=True, slots=True)
class Request:
    """A step's inputs, understood: who asks and the answers given."""

    requester: str
    answers: dict[str, AnswerValue]


def _option(question: Question, given: str) -> str:
    wanted = normalise(given)
    for option in question.options:
        if wanted in (normalise(option.id), normalise(option.label)):
            return option.id
    ids = ", ".join(o.id for o in question.options)
    raise BadInputError(f"Input `{question.id}`: \u201c{given[:60]}\u201d is not an answer to "
                        f"\u201c{question.prompt}\u201d. Use one of: {ids} (or the label).")


def _answer(question: Question, value: object) -> AnswerValue | None:
    """The option id(s) an input names; None when the input is empty (not answered)."""
    if question.multiple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise BadInputError(f"Input `{question.id}` must be a list of answers or a "
                                "comma-separated text.")
        chosen = [_option(question, item) for item in items if item.strip()]
        return chosen or None
    if not isinstance(value, str):
        raise BadInputError(f"Input `{question.id}` must be text (an answer's id or label).")
    return _option(question, value) if value.strip() else None


def parse(flow: FlowDefinition, inputs: Mapping[str, object]) -> Request:
    """The requester and the answers in the step's inputs; BadInputError naming the input."""
    requester = inputs.get(REQUESTER)
    if not isinstance(requester, str) or not requester.strip():
        raise BadInputError(f"Input `{REQUESTER}` is required: the person asking for the check.")
    if not USER_ID.fullmatch(requester.strip()):
        raise BadInputError(f"Input `{REQUESTER}` must be a Slack user (an id like U0123ABCD).")
    answers: dict[str, AnswerValue] = {}
    for name, value in inputs.items():
        if name == REQUESTER or value is None:
            continue
        question = flow.by_id.get(name)
        if question is None:
            raise BadInputError(f"Input `{name}` is not a question of this check; update the "
                                "workflow step.")
        answer = _answer(question, value)
        if answer is not None:
            answers[name] = answer
    return Request(requester=requester.strip(), answers=answers)


def outputs(rec: Recommendation) -> dict[str, Any]:
    """The step's outputs for a recommendation, so a workflow can branch on them."""
    reasons = " ".join(f"- {r.reason}" for r in rec.rationale[:3])
    return {"path": rec.path.value, "governance": rec.governance.value,
            "target_governance": rec.target_governance.value if rec.target_governance else "",
            "flags": [flag.value for flag in rec.flags], "conflict_count": len(rec.conflicts),
            "summary": f"{rec.headline}. {reasons}".strip()}


class Spawn(Protocol):
    """server.spawn bound to the app: run work after the ack; False when too busy."""

    def __call__(self, work: Coroutine[Any, Any, None], name: str, *,
                 notice: bool = False) -> bool: ...


async def _quietly(work: Coroutine[Any, Any, object]) -> None:
    await work


class WorkflowStep:
    """Runs the step: acked by bolt at once, assessed and completed in the background."""

    def __init__(self, advisor: Advisor, spawn: Spawn) -> None:
        self.advisor = advisor
        self.spawn = spawn

    def register(self, bolt: AsyncApp) -> None:
        """Attach the function listener to the bolt app."""
        bolt.function(CALLBACK_ID)(self.on_function)

    async def on_function(self, body: dict[str, Any], context: AsyncBoltContext,
                          complete: AsyncComplete, fail: AsyncFail) -> None:
        event = body.get("event") or {}
        inputs, execution = event.get("inputs"), event.get("function_execution_id")
        team = context.enterprise_id or context.team_id or ""
        if self.spawn(self.run(inputs, str(execution), team, complete, fail), "slack function"):
            return
        # Too busy to run it now: fail the step at once with a reason, rather than let it time out.
        busy = _quietly(fail(error=BUSY))
        if not self.spawn(busy, "slack function busy", notice=True):
            busy.close()

    async def run(self, inputs: object, execution: str, team: str, complete: AsyncComplete,
                  fail: AsyncFail) -> None:
        """Assess the inputs and complete the step, or fail it naming the bad input."""
        now = datetime.now(UTC)
        if not await self.advisor.store.first_time(f"slack:function:{execution}", now):
            return  # Slack retried the event: the step was already completed or failed
        try:
            request = parse(self.advisor.engine.flow, inputs if isinstance(inputs, dict) else {})
            rec = self._assess(request)
        except BadInputError as error:
            log.info("workflow step failed on its inputs", extra={"execution": execution})
            await fail(error=str(error))
            return
        await complete(outputs=outputs(rec))
        flow = self.advisor.engine.flow
        await self.advisor.store.record_history(HistoryEntry(
            platform="slack", workspace=team, channel=CHANNEL, user_id=request.requester,
            completed_at=now, flow=flow.id, flow_version=flow.version,
            answers=request.answers, recommendation=rec))

    def _assess(self, request: Request) -> Recommendation:
        engine = self.advisor.engine
        try:
            _, rec = engine.assess(request.answers)
        except MissingAnswerError as missing:
            prompt = engine.flow.by_id[missing.question].prompt
            raise BadInputError(f"Input `{missing.question}` is needed for these answers: "
                                f"\u201c{prompt}\u201d") from None
        except InvalidAnswerError as error:
            raise BadInputError(f"Inputs do not fit together: {error}") from None
        return rec


# --- keeping manifest.json and the README in step with the flow ------------------------------

README_START, README_END = "<!-- workflow-step:start -->", "<!-- workflow-step:end -->"


def table(flow: FlowDefinition) -> str:
    """The README's table of the step's inputs and outputs, from the same definition."""
    spec = definition(flow)
    rows = ["| | Name | Type | What |", "|---|---|---|---|"]
    for kind, params in (("input", spec["input_parameters"]),
                         ("output", spec["output_parameters"])):
        for name, param in params.items():
            what = param["description"].replace("|", "\\|").replace("\n", " ")
            hint = f" {param['hint']}." if "hint" in param else ""
            shown = "list" if param["type"] == "array" else param["type"]
            rows.append(f"| {kind} | `{name}` | {shown} | {what}{hint} |")
    return "\n".join(rows)


def regenerate(manifest: str, readme: str, flow: FlowDefinition) -> tuple[str, str]:
    """manifest.json and README.md texts with the step's definition and table made current."""
    data = json.loads(manifest)
    data.setdefault("functions", {})[CALLBACK_ID] = definition(flow)
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n",
            readme[:start] + "\n" + table(flow) + "\n" + readme[end:])


def main() -> None:
    """`python -m bot.platforms.slack.function`: rewrite both files after the flow changed."""
    from bot.core.engine import Engine  # noqa: PLC0415  (only the command needs the flow file)

    root = pathlib.Path.cwd()
    manifest, readme = root / "manifest.json", root / "README.md"
    new_manifest, new_readme = regenerate(manifest.read_text(encoding="utf-8"),
                                          readme.read_text(encoding="utf-8"),
                                          Engine.default().flow)
    manifest.write_text(new_manifest, encoding="utf-8")
    readme.write_text(new_readme, encoding="utf-8")


if __name__ == "__main__":
    main()
