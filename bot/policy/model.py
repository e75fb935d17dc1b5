"""The company policy file's model: what an OSPO configures, validated with `extra="forbid"`.

No I/O here: `bot.policy.files` reads the YAML, `bot.policy.apply` applies a policy to a
recommendation. Each section is its own model; `authorship` and `internal_patterns` are the
repository scan's (bot.scan.policy), so one file serves the server and `scan`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.core.outcomes import Flag, Link, Path
from bot.scan.policy import Authorship


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Section):
    """Who the advice is for, and whom to ask."""

    name: str = Field("", description="The company's name, as the advice should say it.")
    ospo: str = Field("the OSPO", description="The open source programme office's name.")
    contact: str = Field("", description="How to reach the OSPO: an e-mail address or a URL.")


class SlackReview(_Section):
    """Where reviews go in Slack, and who decides them."""

    channel: str | None = Field(
        None, description="Channel id (C...) the review cards are posted to; the app must be "
        "a member.")
    reviewers: list[str] = Field(
        default_factory=list, description="Slack user ids (U...) who may decide reviews.")
    reviewer_group: str | None = Field(
        None, description="A Slack user group id (S...) whose members may decide reviews "
        "(needs the usergroups:read scope).")


class TeamsReview(_Section):
    """Where reviews go in Teams, and who decides them."""

    team: str | None = Field(None, description="The Teams team id the review channel is in.")
    channel: str | None = Field(
        None, description="The channel id (19:...@thread.tacv2) the review cards are posted to.")
    reviewers: list[str] = Field(
        default_factory=list, description="Entra object ids (AAD object ids) of the reviewers.")


class ContributionTerms(StrEnum):
    """How outside contributions are accepted."""

    DCO = "dco"
    CLA = "cla"


class Licensing(_Section):
    """The licences the company uses by default."""

    outbound: str | None = Field(
        None, description="Default licence for code the company publishes (an SPDX id, "
        "e.g. Apache-2.0).")
    contributions: ContributionTerms | None = Field(
        None, description="How outside contributions are accepted: dco or cla.")
    innersource: str | None = Field(
        None, description="The name of the company's InnerSource licence between entities.")


DEFAULT_REVIEW_PATHS = [Path.OPEN_SOURCE, Path.INNERSOURCE_FIRST, Path.PARTNER_SOURCE]
DEFAULT_REVIEW_FLAGS = [Flag.LEGAL_REVIEW, Flag.EXPORT_CONTROL, Flag.PERSONAL_DATA,
                        Flag.PATENT_REVIEW]


class ReviewRules(_Section):
    """Which outcomes need an OSPO review, and when a waiting one is chased."""

    paths: list[Path] = Field(
        default_factory=lambda: list(DEFAULT_REVIEW_PATHS),
        description="Paths that need review.")
    flags: list[Flag] = Field(
        default_factory=lambda: list(DEFAULT_REVIEW_FLAGS),
        description="Flags that need review, whatever the path.")
    chase_after_days: int = Field(
        5, ge=1, description="Days a review may wait before it is chased in the review channel.")


class ByOutcome(_Section):
    """Extra next steps per path and per flag."""

    paths: dict[Path, list[str]] = Field(default_factory=dict,
                                         description="Extra steps for each path id.")
    flags: dict[Flag, list[str]] = Field(default_factory=dict,
                                         description="Extra steps for each flag id.")


class LinksByOutcome(_Section):
    """Internal pages per path and per flag, shown before the public ones."""

    paths: dict[Path, list[Link]] = Field(default_factory=dict,
                                          description="Internal pages for each path id.")
    flags: dict[Flag, list[Link]] = Field(default_factory=dict,
                                          description="Internal pages for each flag id.")


class Policy(_Section):
    """A company's policy: an input to the advice and the review workflow, never read by the
    core itself."""

    company: Company = Field(default_factory=Company, description="The company and its OSPO.")
    slack: SlackReview = Field(default_factory=SlackReview, description="Reviews in Slack.")
    teams: TeamsReview = Field(default_factory=TeamsReview, description="Reviews in Teams.")
    review: ReviewRules = Field(default_factory=ReviewRules,
                                description="Which outcomes need review.")
    licensing: Licensing = Field(default_factory=Licensing, description="Default licences.")
    links: LinksByOutcome = Field(default_factory=LinksByOutcome,
                                  description="Internal links, shown before the public ones.")
    next_steps: ByOutcome = Field(default_factory=ByOutcome,
                                  description="Extra next steps, after the advice's own.")
    authorship: Authorship = Field(
        default_factory=Authorship, description="For `scan`: who is who among commit authors.")
    internal_patterns: list[str] = Field(
        default_factory=list, description="For `scan`: host name globs that are internal "
        "(`*.acme.net`), beside the defaults.")
    re_review_months: dict[Path, Annotated[int, Field(ge=1, le=120)]] = Field(
        default_factory=dict, description="Months until a decision is checked again, by path "
        "(the advice's own default otherwise).")

    def is_slack_reviewer(self, user: str, group_members: frozenset[str] = frozenset()) -> bool:
        """Whether a Slack user may decide: listed by id, or a member of the reviewer group."""
        return user in self.slack.reviewers or user in group_members

    def is_teams_reviewer(self, object_id: str | None) -> bool:
        """Whether a Teams user (by Entra object id) may decide."""
        return object_id is not None and object_id in self.teams.reviewers
