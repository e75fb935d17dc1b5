"""What the recommendation tells people to do: next steps, flag actions and further reading.

Kept apart from the rules so the decision stays readable on one screen.
"""

from __future__ import annotations

from bot.core.outcomes import Flag, FlagNote, Governance, Link, Path

FLAG_ACTIONS: dict[Flag, str] = {
    Flag.TRANSFER_PRICING: "Identify, track and price cross-entity contributions, and get sign-off "
    "from your tax team before work starts. This flags an obligation; it is not tax advice.",
    Flag.INTERCOMPANY_AGREEMENT: "Put an intercompany agreement or an InnerSource licence in place "
    "that names the entity owning the intellectual property.",
    Flag.RING_FENCING: "Ask compliance to confirm what a regulated or ring-fenced entity may share "
    "or receive before it takes part.",
    Flag.RESTRICTED_VISIBILITY: "Restrict repository access to the approved groups and keep "
    "contractors or export-controlled nationalities out as required.",
    Flag.SPLIT: "Separate the confidential or differentiating part (a private module, plug-in or "
    "configuration) and share the rest.",
    Flag.LEGAL_REVIEW: "Have legal review contractor and third-party code, licence compatibility "
    "and patents before the code is shared further.",
    Flag.CAPACITY_GAP: "Budget maintainer time for reviews, mentoring and security reports before "
    "inviting contributions.",
}

_OPEN_SOURCE_TAX = (
    "Open source largely removes this burden because the code is licensed to everyone; "
)

_PATH_STEPS: dict[Path, list[str]] = {
    Path.KEEP_CLOSED: [
        "Keep it in a team-owned repository with a README and a CODEOWNERS file.",
        "Revisit when another team asks to use or change it.",
    ],
    Path.INNERSOURCE: [
        "Add the standard base documentation: README, CONTRIBUTING and the trusted committers.",
        "List it in your InnerSource portal so other teams can find it.",
    ],
    Path.OPEN_SOURCE: [
        (
            "Release checklist: choose a licence with your OSPO, confirm the rights to every "
            "line, scan the history for secrets, set up a vulnerability disclosure process "
            "(SECURITY.md), decide on CLA or DCO, and check the name and trademark."
        ),
    ],
    Path.CONTRIBUTE_UPSTREAM: [
        "Discuss the change with the upstream maintainers before you write more of it.",
        "Follow their CONTRIBUTING guide and sign their CLA or DCO.",
        "Keep your fork small and rebased until the change is merged, then retire it.",
    ],
}

_GOVERNANCE_STEPS: dict[Governance, str] = {
    Governance.TEAM_OWNED: "",
    Governance.READABLE_SOURCE: "Open the issue tracker to other teams and say in the README "
    "that the owners do the work.",
    Governance.CONTRIBUTIONS_WELCOME: "Name trusted committers who mentor contributors and merge "
    "their patches, and promise a 30-day warranty on contributed code.",
    Governance.SHARED_WRITE_ACCESS: "Document the path to commit rights for people from other "
    "teams, and name trusted committers who mentor them.",
    Governance.SHARED_OWNERSHIP: "Set up maintainers from each team as peers, decide by RFCs, and "
    "name the one accountable owner.",
    Governance.PUBLISH_ONLY: "Say in the README that the code is published as it is, without "
    "support or review of contributions.",
    Governance.SINGLE_VENDOR: "Publish how your maintainers decide, and welcome outside pull "
    "requests under a CLA or DCO.",
    Governance.BENEVOLENT_DICTATOR: "Design stable plugin interfaces and say who has the final "
    "say on the core.",
    Governance.MERITOCRACY: "Write down how committers are admitted on merit and how decisions "
    "are taken: consensus first, votes as the fallback.",
    Governance.FOUNDATION: "Shortlist neutral homes (for example the Apache Software Foundation, "
    "CNCF or the Linux Foundation) and prepare to hand over trademark and infrastructure.",
    Governance.UPSTREAM: "",
}

_EXIT_CRITERIA = (
    "Exit criteria for the public release: rights to every line cleared, CONTRIBUTING and "
    "SECURITY files in place, adoption by several teams, and maintainer time budgeted."
)


def flag_notes(flags: list[Flag], path: Path) -> list[FlagNote]:
    """What to do about each flag, worded for the path."""
    notes = []
    for flag in flags:
        action = FLAG_ACTIONS[flag]
        if flag is Flag.TRANSFER_PRICING and path is Path.OPEN_SOURCE:
            action = _OPEN_SOURCE_TAX + "confirm with your tax team."
        notes.append(FlagNote(flag=flag, action=action))
    return notes


def next_steps(path: Path, governance: Governance, target: Governance | None,
               flags: list[Flag]) -> list[str]:
    """The concrete steps for a path and governance model, flags first, then a review date."""
    steps = [FLAG_ACTIONS[f] for f in flags if f in (Flag.LEGAL_REVIEW, Flag.SPLIT)]
    if path is Path.INNERSOURCE_FIRST:
        steps += _PATH_STEPS[Path.INNERSOURCE]
        steps.append(_EXIT_CRITERIA)
    else:
        steps += _PATH_STEPS[path]
    steps += [s for s in (_GOVERNANCE_STEPS[governance],) if s]
    if target is not None:
        steps.append("After the release: " + _GOVERNANCE_STEPS[target][0].lower()
                     + _GOVERNANCE_STEPS[target][1:])
    steps.append("Check again in six months, or sooner when an answer changes: this is not a "
                 "one-time classification.")
    return steps


# Each address was checked against the published pages; see tests/unit/test_texts.py.
LINKS: dict[str, Link] = {
    "governance_levels": Link(
        title="InnerSource pattern: Explicit Governance Levels",
        url="https://patterns.innersourcecommons.org/p/governance-levels"),
    "trusted_committer": Link(
        title="InnerSource pattern: Trusted Committer",
        url="https://patterns.innersourcecommons.org/p/trusted-committer"),
    "warranty": Link(
        title="InnerSource pattern: 30-Day Warranty",
        url="https://patterns.innersourcecommons.org/p/30-day-warranty"),
    "base_documentation": Link(
        title="InnerSource pattern: Standard Base Documentation",
        url="https://patterns.innersourcecommons.org/p/base-documentation"),
    "innersource_license": Link(
        title="InnerSource pattern: InnerSource License",
        url="https://patterns.innersourcecommons.org/p/innersource-license"),
    "portal": Link(
        title="InnerSource pattern: InnerSource Portal",
        url="https://patterns.innersourcecommons.org/p/innersource-portal"),
    "migrating": Link(
        title="InnerSource pattern: Migrating from InnerSource to Open Source",
        url="https://github.com/InnerSourceCommons/InnerSourcePatterns/blob/main/patterns/1-initial/migrating-from-innersource-to-open-source.md"),
    "relation": Link(
        title="InnerSource Commons learning path: relation to open source",
        url="https://innersourcecommons.org/learn/learning-path/project-leader/06/"),
    "archetypes": Link(
        title="Open Tech Strategies: Open Source Archetypes",
        url="https://opentechstrategies.com/archetypes"),
    "governance_guide": Link(
        title="Open Source Guides: Leadership and Governance",
        url="https://opensource.guide/leadership-and-governance/"),
    "todo_starting": Link(
        title="TODO Group: Starting an Open Source Project",
        url="https://todogroup.org/resources/guides/starting-an-open-source-project/"),
    "finos_readiness": Link(
        title="FINOS Open Source Readiness",
        url="https://osr.finos.org/"),
    "taxing": Link(
        title="Dorner et al., Taxing Collaborative Software Engineering (IEEE Software, 2024)",
        url="https://doi.org/10.1109/MS.2023.3346646"),
}

_PATH_LINKS: dict[Path, list[str]] = {
    Path.KEEP_CLOSED: ["relation"],
    Path.INNERSOURCE: ["governance_levels", "base_documentation", "portal", "relation"],
    Path.INNERSOURCE_FIRST: ["governance_levels", "base_documentation", "migrating",
                             "finos_readiness"],
    Path.OPEN_SOURCE: ["archetypes", "governance_guide", "todo_starting", "finos_readiness"],
    Path.CONTRIBUTE_UPSTREAM: ["governance_guide", "relation"],
}

_GOVERNANCE_LINKS: dict[Governance, list[str]] = {
    Governance.CONTRIBUTIONS_WELCOME: ["trusted_committer", "warranty"],
    Governance.SHARED_WRITE_ACCESS: ["trusted_committer"],
}

_FLAG_LINKS: dict[Flag, list[str]] = {
    Flag.TRANSFER_PRICING: ["taxing"],
    Flag.INTERCOMPANY_AGREEMENT: ["innersource_license", "taxing"],
}


def learn_more(path: Path, governance: Governance, flags: list[Flag]) -> list[Link]:
    """Further reading for this outcome, without repeats."""
    keys = _PATH_LINKS[path] + _GOVERNANCE_LINKS.get(governance, [])
    for flag in flags:
        keys += _FLAG_LINKS.get(flag, [])
    return [LINKS[key] for key in dict.fromkeys(keys)]
