"""Every address the advice can give is in a reviewed allow-list (no network in tests).

Each entry names the page title it was checked against, and where: the stored public sources
(the `search` tool's pages and docs corpora, or a repository file in the stored index) on
2 December 2026. A new link fails this test until someone checks it and adds it here.
"""

from __future__ import annotations

from bot.core.outcomes import Flag
from bot.core.texts import FLAG_LINKS, LINKS

REVIEWED: dict[str, str] = {
    "https://patterns.innersourcecommons.org/p/governance-levels":
        "Explicit Governance Levels (page stored in the pages corpus)",
    "https://patterns.innersourcecommons.org/p/trusted-committer":
        "Trusted Committer (listed in the patterns book index; the address is cited by many "
        "stored repositories; source patterns/2-structured/trusted-committer.md)",
    "https://patterns.innersourcecommons.org/p/30-day-warranty":
        "30 Day Warranty (book index; source patterns/2-structured/30-day-warranty.md)",
    "https://patterns.innersourcecommons.org/p/base-documentation":
        "Standard Base Documentation (book index; address cited in stored repositories)",
    "https://patterns.innersourcecommons.org/p/innersource-license":
        "InnerSource License (book index; source patterns/2-structured/innersource-license.md)",
    "https://patterns.innersourcecommons.org/p/innersource-portal":
        "InnerSource Portal (book index; address cited in stored repositories)",
    "https://github.com/InnerSourceCommons/InnerSourcePatterns/blob/main/patterns/1-initial/"
    "migrating-from-innersource-to-open-source.md":
        "Migrating from InnerSource to Open Source (file in the stored repository index)",
    "https://github.com/InnerSourceCommons/InnerSourcePatterns/blob/main/patterns/1-initial/"
    "innersource-before-open-source.md":
        "Require InnerSource before Open Source (file in the stored repository index)",
    "https://opentechstrategies.com/archetypes":
        "Open Source Archetypes: A Framework For Purposeful Open Source (the report's home page, "
        "named in the report and its repository README)",
    "https://opensource.guide/leadership-and-governance/": "Leadership and Governance",
    "https://opensource.guide/how-to-contribute/": "How to Contribute to Open Source",
    "https://opensource.guide/legal/": "The Legal Side of Open Source",
    "https://opensource.guide/best-practices/": "Best Practices for Maintainers",
    "https://todogroup.org/resources/guides/starting-an-open-source-project/":
        "Starting an Open Source Project (TODO Group guide)",
    "https://osr.finos.org/": "FINOS Open Source Readiness (site url in its docusaurus config)",
    "https://doi.org/10.1109/MS.2023.3346646":
        "Taxing Collaborative Software Engineering, IEEE Software 41(4) (DOI in the DiVA record)",
    "https://www.bankofengland.co.uk/prudential-regulation/publication/2016/"
    "ring-fenced-bodies-ss":
        "Ring-fenced bodies, Supervisory Statement 8/16 (stored under the Bank of England's "
        "beta host with the same path)",
    "https://www.linuxfoundation.org/resources/publications/"
    "understanding-us-export-controls-with-open-source-projects":
        "Understanding US export controls with open source projects",
    "https://bestpractices.linuxfoundation.org/export/non-standard-cryptography.html":
        "Non-Standard Cryptography",
    "https://www.bis.doc.gov/index.php/2011-09-13-18-03-29/2011-09-13-18-24-52/"
    "223-new-encryption":
        "BIS encryption page: publicly available encryption items not subject to the EAR",
    "https://docs.github.com/authentication/keeping-your-account-and-data-secure/"
    "removing-sensitive-data-from-a-repository":
        "Removing sensitive data from a repository",
    "https://ico.org.uk/for-organisations/guide-to-the-general-data-protection-regulation-gdpr/"
    "what-is-personal-data/what-is-personal-data/":
        "ICO: What is personal data?",
}


def test_every_address_the_advice_can_give_was_reviewed() -> None:
    unreviewed = sorted(link.url for link in LINKS.values() if link.url not in REVIEWED)
    assert not unreviewed, f"check these pages, then add them to REVIEWED: {unreviewed}"


def test_every_flag_has_at_least_one_source() -> None:
    assert set(FLAG_LINKS) == set(Flag)
    assert all(FLAG_LINKS[flag] and all(key in LINKS for key in FLAG_LINKS[flag])
               for flag in Flag)


def test_every_address_is_https_and_titled() -> None:
    assert all(link.url.startswith("https://") and link.title for link in LINKS.values())
