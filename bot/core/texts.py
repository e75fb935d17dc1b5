"""What the recommendation tells people to do: next steps, flag actions and further reading.

Every text is chosen from the decision, so it fits the answers: no portal when visibility is
restricted, no outside pull requests when only the owners contribute, no trademark handover while
the owners keep control. Every address is in tests/unit/test_links.py's reviewed allow-list.
"""

from __future__ import annotations

from bot.core.flow import FlowDefinition
from bot.core.outcomes import AnswerValue, Flag, FlagNote, Governance, Link, Path
from bot.core.rules import FEW, QUESTION_NAMES, REVIEW_MONTHS, Decision


def answer_text(flow: FlowDefinition, question: str, answer: AnswerValue) -> str:
    """An answer in the user's words: the question's short name and the option labels."""
    q = flow.by_id[question]
    return f"{QUESTION_NAMES.get(question, q.prompt)}: {q.labels(answer)}"


# --- further reading: every address was checked (tests/unit/test_links.py) --------------------

LINKS: dict[str, Link] = {
    "governance_levels": Link(
        title="InnerSource pattern: Explicit Governance Levels",
        url="https://patterns.innersourcecommons.org/p/governance-levels"),
    "trusted_committer": Link(
        title="InnerSource pattern: Trusted Committer",
        url="https://patterns.innersourcecommons.org/p/trusted-committer"),
    "warranty": Link(
        title="InnerSource pattern: 30 Day Warranty",
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
        url="https://github.com/InnerSourceCommons/InnerSourcePatterns/blob/main/patterns/"
        "1-initial/migrating-from-innersource-to-open-source.md"),
    "innersource_first": Link(
        title="InnerSource pattern: Require InnerSource before Open Source",
        url="https://github.com/InnerSourceCommons/InnerSourcePatterns/blob/main/patterns/"
        "1-initial/innersource-before-open-source.md"),
    "archetypes": Link(
        title="Open Tech Strategies: Open Source Archetypes",
        url="https://opentechstrategies.com/archetypes"),
    "governance_guide": Link(
        title="Open Source Guides: Leadership and Governance",
        url="https://opensource.guide/leadership-and-governance/"),
    "how_to_contribute": Link(
        title="Open Source Guides: How to Contribute to Open Source",
        url="https://opensource.guide/how-to-contribute/"),
    "legal_guide": Link(
        title="Open Source Guides: The Legal Side of Open Source",
        url="https://opensource.guide/legal/"),
    "maintainers": Link(
        title="Open Source Guides: Best Practices for Maintainers",
        url="https://opensource.guide/best-practices/"),
    "todo_starting": Link(
        title="TODO Group: Starting an Open Source Project",
        url="https://todogroup.org/resources/guides/starting-an-open-source-project/"),
    "finos_readiness": Link(
        title="FINOS Open Source Readiness",
        url="https://osr.finos.org/"),
    "taxing": Link(
        title="Dorner et al., Taxing Collaborative Software Engineering (IEEE Software, 2024)",
        url="https://doi.org/10.1109/MS.2023.3346646"),
    "pra_ring_fencing": Link(
        title="PRA SS8/16: Ring-fenced bodies",
        url="https://www.bankofengland.co.uk/prudential-regulation/publication/2016/"
        "ring-fenced-bodies-ss"),
    "lf_export": Link(
        title="Linux Foundation: Understanding US export controls with open source projects",
        url="https://www.linuxfoundation.org/resources/publications/"
        "understanding-us-export-controls-with-open-source-projects"),
    "lf_crypto": Link(
        title="Linux Foundation: Non-Standard Cryptography (export controls)",
        url="https://bestpractices.linuxfoundation.org/export/non-standard-cryptography.html"),
    "bis_encryption": Link(
        title="BIS: Encryption items not subject to the EAR",
        url="https://www.bis.doc.gov/index.php/2011-09-13-18-03-29/2011-09-13-18-24-52/"
        "223-new-encryption"),
    "github_sensitive": Link(
        title="GitHub Docs: Removing sensitive data from a repository",
        url="https://docs.github.com/authentication/keeping-your-account-and-data-secure/"
        "removing-sensitive-data-from-a-repository"),
    "ico_personal_data": Link(
        title="ICO: What is personal data?",
        url="https://ico.org.uk/for-organisations/guide-to-the-general-data-protection-"
        "regulation-gdpr/what-is-personal-data/what-is-personal-data/"),
}

_PATH_LINKS: dict[Path, list[str]] = {
    Path.KEEP_CLOSED: ["governance_levels"],
    Path.INNERSOURCE: ["governance_levels", "base_documentation", "portal"],
    Path.PARTNER_SOURCE: ["governance_levels", "archetypes"],
    Path.INNERSOURCE_FIRST: ["governance_levels", "innersource_first", "migrating",
                             "finos_readiness"],
    Path.OPEN_SOURCE: ["archetypes", "governance_guide", "todo_starting", "finos_readiness"],
    Path.CONTRIBUTE_UPSTREAM: ["how_to_contribute", "governance_guide"],
}

_GOVERNANCE_LINKS: dict[Governance, list[str]] = {
    Governance.CONTRIBUTIONS_WELCOME: ["trusted_committer", "warranty"],
    Governance.SHARED_WRITE_ACCESS: ["trusted_committer"],
}

FLAG_LINKS: dict[Flag, list[str]] = {
    Flag.TRANSFER_PRICING: ["taxing"],
    Flag.INTERCOMPANY_AGREEMENT: ["innersource_license", "taxing"],
    Flag.RING_FENCING: ["pra_ring_fencing", "finos_readiness"],
    Flag.RESTRICTED_VISIBILITY: ["lf_export", "governance_levels"],
    Flag.SPLIT: ["todo_starting"],
    Flag.LEGAL_REVIEW: ["legal_guide", "innersource_license"],
    Flag.CAPACITY_GAP: ["maintainers", "trusted_committer"],
    Flag.PARTNER_AGREEMENT: ["legal_guide", "archetypes"],
    Flag.EXPORT_CONTROL: ["lf_export", "lf_crypto", "bis_encryption"],
    Flag.PERSONAL_DATA: ["ico_personal_data", "github_sensitive"],
    Flag.CONTRACT_REVIEW: ["legal_guide"],
    Flag.LICENCE_OBLIGATIONS: ["legal_guide"],
    Flag.PATENT_REVIEW: ["legal_guide"],
    Flag.SECRET_CLEANUP: ["github_sensitive"],
}

PUBLISHED = frozenset({Path.OPEN_SOURCE, Path.CONTRIBUTE_UPSTREAM})
NOT_TAX_ADVICE = "This flags an obligation; it is not tax advice."


def _restricted(d: Decision) -> bool:
    return Flag.RESTRICTED_VISIBILITY in d.flags or d.answers.get("audience") == "team"


def learn_more(d: Decision) -> list[Link]:
    """Further reading for this outcome, without repeats, and none that contradicts an answer."""
    keys = list(_PATH_LINKS[d.path]) + _GOVERNANCE_LINKS.get(d.governance, [])
    if _restricted(d):
        keys = [k for k in keys if k != "portal"]
    for flag in d.flags:
        keys += FLAG_LINKS[flag][:1]
    return [LINKS[key] for key in dict.fromkeys(keys)]


# --- flag actions ---------------------------------------------------------------------------

def flag_notes(d: Decision) -> list[FlagNote]:
    """One concrete action per flag, worded for the path and the answers, with its sources."""
    return [FlagNote(flag=f, action=_action(d, f), links=[LINKS[k] for k in FLAG_LINKS[f]])
            for f in d.flags]


def _action(d: Decision, flag: Flag) -> str:  # noqa: PLR0911, PLR0912  (a branch per flag)
    answers, published = d.answers, d.path in PUBLISHED
    if flag is Flag.TRANSFER_PRICING:
        return _transfer_pricing(d)
    if flag is Flag.INTERCOMPANY_AGREEMENT:
        ask = ("Ask finance whether an intercompany agreement covers this work; if none does, "
               if answers.get("agreements") != "none" else "")
        if published:
            return _cap(f"{ask}cover the services that staff of other entities give the "
                        "project with an intercompany agreement: the DCO, signed by each "
                        "developer, or a corporate CLA, signed by each contributing entity, "
                        "covers copyright, not pricing.")
        return _cap(f"{ask}put an intercompany agreement in place for the cross-entity work: who "
                    "owns the code and how the work is priced. An InnerSource licence covers the "
                    "use of the code, not the services.")
    if flag is Flag.RING_FENCING:
        ask = ("Find out whether a regulated or ring-fenced entity is involved; if so, "
               if answers.get("regulated") != "yes" else "")
        return _cap(f"{ask}ask compliance to confirm that the ring-fenced entity keeps the code it "
                "depends on, maintained inside its own sub-group where needed, whatever "
                "happens to the rest of the group.")
    if flag is Flag.RESTRICTED_VISIBILITY:
        if Flag.EXPORT_CONTROL in d.flags and _controlled(d):
            return ("Limit repository access to the people export compliance has cleared, by "
                    "country and nationality where the rules require it.")
        return ("Limit repository access to the groups that need it, named in the README, and "
                "review the list when people move.")
    if flag is Flag.SPLIT:
        return ("Move the confidential or differentiating part into a private module, plug-in "
                "or configuration before the rest leaves the company.")
    if flag is Flag.LEGAL_REVIEW:
        return ("Ask legal to confirm the rights to every line (employees, contractors, "
                "third-party and partner code) " + {
                    Path.KEEP_CLOSED: "before anyone outside the team gets it.",
                    Path.CONTRIBUTE_UPSTREAM: "before the change goes upstream.",
                }.get(d.path, "before it is shared further: sharing across legal entities is "
                      "itself a licence."))
    if flag is Flag.CAPACITY_GAP:
        if answers.get("upstream") == "fork":
            return ("Name who patches security issues now that the upstream does not, or move "
                    "to a maintained successor fork.")
        if d.governance is Governance.SHARED_WRITE_ACCESS and answers.get("capacity") == "none":
            return ("Name trusted committers from the using side and give them commit rights, "
                    "so reviews do not wait for the owners.")
        return ("Budget maintainer time for reviews, mentoring and security reports before "
                "inviting more contributions.")
    if flag is Flag.PARTNER_AGREEMENT:
        return ("Sign an NDA, a joint development agreement or a source-available licence with "
                "each partner before access: who owns contributions, what they may do with the "
                "code, and how it ends.")
    if flag is Flag.EXPORT_CONTROL:
        if _controlled(d):
            return ("Have export compliance classify the technology and clear who may see it, "
                    "by country; no public release until it is cleared.")
        return ("Classify the cryptography with export compliance before sharing unpublished "
                "code across countries or with foreign-national staff; publishing it generally "
                "takes it out of the US EAR, after an e-mail to BIS and the NSA for "
                "non-standard cryptography (15 CFR 742.15(b)).")
    if flag is Flag.PERSONAL_DATA:
        return ("Purge the personal data, pseudonymised data included, from code, tests and "
                "history before anyone new can see it, and use synthetic test data.")
    if flag is Flag.CONTRACT_REVIEW:
        return ("Check the customer contract, statement of work, NDA or joint development "
                "agreement for who owns this code and whether it may be shared this way.")
    if flag is Flag.LICENCE_OBLIGATIONS:
        return ("List the copyleft components and what conveying them obliges (the same licence, "
                "source on request; for AGPL, network use too). Handing the code to another "
                "group entity, a partner or a customer counts as conveying.")
    if flag is Flag.PATENT_REVIEW:
        return ("Ask patent counsel to file or clear the patent before the code is shared "
                "further or published.")
    return ("Rotate every credential ever committed, then rewrite the history or start a fresh "
            "one before anyone new can see it.")


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _controlled(d: Decision) -> bool:
    found = d.answers.get("obligations")
    return found is not None and "export_control" in found


def _transfer_pricing(d: Decision) -> str:
    entities = d.answers.get("entities", "unknown")
    ask = ("Find out which legal entities employ the people who work on or use this code. "
           if entities == "unknown" else "")
    if entities == "several_same_country":
        core = ("Several entities in one country: related-party rules may apply domestically. "
                "Ask your tax team whether the cross-entity work must be priced.")
    elif d.path in PUBLISHED:
        core = ("Publishing removes a licence charge for the published code from then on, but "
                "not charges for earlier use, unpublished parts or work that staff of one entity "
                "do for another: ask your tax team how those services are priced.")
    else:
        core = ("Identify, track and price the work staff of one entity do on code another "
                "entity owns, and agree it with your tax team before work starts.")
    return f"{ask}{core} {NOT_TAX_ADVICE}"


# --- next steps -----------------------------------------------------------------------------

_EXIT_CRITERIA = ("Exit criteria for the public release: {blockers}CONTRIBUTING and SECURITY "
                  "files in place, and the maintainer time the model needs budgeted.")


def next_steps(d: Decision) -> list[str]:
    """First steps (before any wider visibility), then the path, the governance model and the
    flags' actions that shape the work, then the re-review."""
    steps = list(d.first_steps)  # personal data and secrets: their flag's action, put first
    steps += [_action(d, f) for f in d.flags if f in (Flag.LEGAL_REVIEW, Flag.SPLIT,
                                                      Flag.PARTNER_AGREEMENT)]
    steps += _path_steps(d)
    steps += [s for s in (_governance_step(d, d.governance),) if s]
    if d.target is not None:
        step = _governance_step(d, d.target)
        steps.append("After the release: " + step[0].lower() + step[1:])
    steps.append(f"Check this again in {_months(d)}, or sooner when an answer changes: this is "
                 "not a one-time classification.")
    return list(dict.fromkeys(steps))


def _months(d: Decision) -> str:
    months = REVIEW_MONTHS[d.path]
    return "a year" if months == 12 else f"{months} months"


def _path_steps(d: Decision) -> list[str]:
    answers = d.answers
    if d.path is Path.KEEP_CLOSED:
        if answers.get("upstream") == "fork":
            return [("Keep the change as a small private patch set, and send generic fixes "
                     "upstream while the upstream is alive.")]
        return ["Keep it in a team-owned repository with a README and a CODEOWNERS file.",
                "Revisit when another team asks to use or change it."]
    if d.path is Path.CONTRIBUTE_UPSTREAM:
        steps = ["Discuss the change with the upstream maintainers before you write more of it.",
                 "Follow their CONTRIBUTING guide and sign their CLA or DCO."]
        if answers.get("upstream_health") == "slow":
            steps.append("Keep the patch set you carry small and rebased until it is merged, "
                         "then retire your fork.")
        return steps
    if d.path is Path.OPEN_SOURCE:
        if answers.get("upstream") == "fork":
            return [("Offer the upstream maintainers a handover first; if they decline, publish "
                     "under the upstream's licence and a new name.")]
        return [("Release checklist: choose a licence with your OSPO, confirm the rights to "
                 "every line, scan the history for secrets, set up a vulnerability disclosure "
                 "process (SECURITY.md), decide on CLA or DCO, and check the name.")]
    steps = [("Add the standard base documentation: README, CONTRIBUTING and who the "
              "maintainers are.")]
    if d.path is Path.PARTNER_SOURCE:
        steps.append("Give each named partner access to this repository only, under its "
                     "agreement, and keep everything else internal.")
    elif not _restricted(d):
        steps.append("List it in your InnerSource portal so other teams can find it.")
    else:
        steps.append("Tell the teams that may see it where it lives, and nobody else.")
    if d.path is Path.INNERSOURCE_FIRST or (d.path is Path.PARTNER_SOURCE and d.target):
        blockers = []
        if answers.get("ownership") != "yes":
            blockers.append("rights to every line cleared")
        if d.first_steps:
            blockers.append("the first steps above done")
        steps.append(_EXIT_CRITERIA.format(blockers="".join(b + ", " for b in blockers)))
    return steps


def _governance_step(d: Decision, governance: Governance) -> str:  # noqa: PLR0911
    contributors = d.answers.get("contributors")
    others = "partners" if d.path is Path.PARTNER_SOURCE else "other teams"
    if governance is Governance.READABLE_SOURCE:
        return (f"Open the issue tracker to {others} and say in the README that the owners do "
                "the work.")
    if governance is Governance.CONTRIBUTIONS_WELCOME:
        return ("Name trusted committers who mentor contributors and merge their changes, and "
                "promise a 30-day warranty on contributed code.")
    if governance is Governance.SHARED_WRITE_ACCESS:
        return (f"Document the path to commit rights for people from {others}, and name trusted "
                "committers who mentor them.")
    if governance is Governance.SHARED_OWNERSHIP:
        return ("Set up maintainers from each side as peers who decide by RFC, with an equal "
                "say on direction and on who joins.")
    if governance is Governance.PUBLISH_ONLY:
        return ("Say in the README that the code is published as it is, without support or "
                "review of contributions.")
    if governance is Governance.SINGLE_VENDOR:
        if contributors in FEW:
            return ("Say in the README that your maintainers make the changes and welcome "
                    "issues.")
        return ("Publish how your maintainers decide, and welcome outside pull requests under a "
                "CLA or DCO.")
    if governance is Governance.BENEVOLENT_DICTATOR:
        return ("Design stable extension interfaces and say who has the final say on the core.")
    if governance is Governance.MERITOCRACY:
        return ("Write down how committers are admitted on merit and how decisions are taken: "
                "consensus first, votes as the fallback.")
    if governance is Governance.FOUNDATION:
        return ("Shortlist neutral homes (for example the Apache Software Foundation, CNCF or the "
                "Linux Foundation) and prepare to hand over trademark and infrastructure.")
    return ""
