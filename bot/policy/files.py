"""Reading a policy file, the commented example `policy init` writes, and the README reference."""

from __future__ import annotations

import types
import typing
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.outcomes import Link
from bot.policy.model import Policy


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the key and the problem."""


def load_policy(path: FilePath) -> Policy:
    """The policy in a YAML file; PolicyError naming the file, the key and the problem."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the policy file ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML ({error})") from None
    return parse_policy(data if data is not None else {}, str(path))


def parse_policy(data: Any, source: str) -> Policy:
    """Validate already parsed YAML; errors name `source` and each key that is wrong."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the policy must be a mapping of sections (company, "
                          f"slack, teams, review, ...), not a {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = [f"  {'.'.join(str(part) for part in e['loc']) or '(top level)'}: "
                    f"{_problem(e)}" for e in error.errors()]
        raise PolicyError(f"{source}: invalid policy\n" + "\n".join(problems)) from None


def _problem(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (see `opensource-check policy init` for every key)"
    return str(error["msg"])


EXAMPLE = """\
# opensource-check company policy. Check it with `opensource-check policy check FILE`, then
# point the server at it with POLICY_FILE=FILE (or `--policy FILE`). Every key is optional.

company:
  name: Example Group
  ospo: Example OSPO
  contact: ospo@example.com

slack:
  channel: C0123456789          # where review cards go; invite the app there
  reviewers: [U0123456789]      # Slack user ids who may decide
  # reviewer_group: S0123456789 # or a user group (needs the usergroups:read scope)

teams:
  team: 19:abc...@thread.tacv2
  channel: 19:def...@thread.tacv2
  reviewers: [00000000-0000-0000-0000-000000000000]   # Entra object ids

review:
  paths: [open_source, innersource_first, partner_source]
  flags: [legal_review, export_control, personal_data, patent_review]
  chase_after_days: 5           # a waiting review is chased in the review channel after this

licensing:
  outbound: Apache-2.0          # default licence for published code
  contributions: dco            # dco or cla
  innersource: Example Group InnerSource License 1.0

links:                          # shown before the public links
  paths:
    open_source:
      - {title: "Open source release process", url: "https://wiki.example.com/ospo/release"}
  flags:
    legal_review:
      - {title: "Legal intake form", url: "https://legal.example.com/intake"}

next_steps:                     # added after the advice's own steps
  paths:
    open_source: ["Register the project in the OSPO catalogue."]
  flags:
    export_control: ["Open an export classification ticket with trade compliance."]

re_review_months:               # when a decision is checked again, by path
  innersource_first: 6
  open_source: 12

authorship:                     # for `scan`: who is who among commit authors
  entities:
    Example Inc: [example.com]
  contractors: [devshop.example]
internal_patterns: ["*.example.net"]   # for `scan`: internal host names
"""


def policy_reference() -> str:
    """The README's policy file reference, generated from the model (a test keeps it current)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    rows += _rows(Policy, "")
    return "\n".join(rows)


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        key, annotation = f"{prefix}{name}", field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
                and not _is_leaf(annotation):
            rows += _rows(annotation, f"{key}.")
            continue
        default = field.get_default(call_default_factory=True)
        shown = "" if default in (None, "", {}, []) else f"`{_plain(default)}`"
        rows.append(f"| `{key}` | {_type_name(annotation)} | {shown} | {field.description} |")
    return rows


def _is_leaf(model: type[BaseModel]) -> bool:
    return model is Link  # a value ({title, url}), not a section of keys


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(getattr(v, "value", v)) for v in value)
    return str(getattr(value, "value", value))


def _type_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"{_type_name(args[0])} to {_type_name(args[1])}"
    if origin is typing.Annotated:
        return _type_name(args[0])
    names = {"str": "text", "int": "number", "Path": "path id", "Flag": "flag id",
             "Link": "{title, url}", "ContributionTerms": "`dco` or `cla`"}
    return names.get(getattr(annotation, "__name__", ""), str(annotation))
