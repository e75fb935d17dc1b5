"""The part of the company policy file that the scan reads: who is who among commit authors,
and which host names are internal. The company policy (bot.policy) holds these as two of its
keys, so one file serves `serve` and `scan`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_INTERNAL_PATTERNS = ["*.corp", "*.internal", "*.local", "*.intranet", "*.lan"]
"""Host names no public network resolves (RFC 6762 reserves .local; .internal is ICANN's
private-use name); RFC 1918 addresses are always internal and need no pattern."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Authorship(_Strict):
    """E-mail domains of the group's legal entities, of contractors and of partner companies."""

    entities: dict[str, list[str]] = Field(
        default_factory=dict, description="Legal entity name to its e-mail domains.")
    contractors: list[str] = Field(default_factory=list,
                                   description="E-mail domains of contractors.")
    partners: list[str] = Field(default_factory=list,
                                description="E-mail domains of partner companies.")


class ScanPolicy(_Strict):
    """`authorship` maps author domains to who they are; `internal_patterns` are host name globs
    (`*.acme.net`, `artifactory.acme.com`) added to the defaults."""

    authorship: Authorship = Field(default_factory=Authorship)
    internal_patterns: list[str] = Field(default_factory=list)

    @property
    def host_patterns(self) -> list[str]:
        """The default internal host patterns and the policy's own."""
        return [*DEFAULT_INTERNAL_PATTERNS, *self.internal_patterns]

    def role_of(self, domain: str) -> tuple[str, str | None]:
        """('entity', name), ('contractor', None), ('partner', None) or ('unknown', None);
        a domain matches itself and its subdomains."""
        for name, domains in self.authorship.entities.items():
            if _matches(domain, domains):
                return "entity", name
        if _matches(domain, self.authorship.contractors):
            return "contractor", None
        if _matches(domain, self.authorship.partners):
            return "partner", None
        return "unknown", None


def _matches(domain: str, domains: list[str]) -> bool:
    domain = domain.lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains)


class PolicyError(ValueError):
    """The policy file cannot be read or does not fit the model; the message says what to fix."""


def load_policy(path: Path | None) -> ScanPolicy:
    """The scan's part of the company policy file (bot.policy), or the defaults without one."""
    if path is None:
        return ScanPolicy()
    from bot.policy import PolicyError as CompanyPolicyError  # noqa: PLC0415  (imports this)
    from bot.policy import load_policy as load_company_policy  # noqa: PLC0415

    try:
        company = load_company_policy(path)
    except CompanyPolicyError as error:
        raise PolicyError(str(error)) from None
    return ScanPolicy(authorship=company.authorship, internal_patterns=company.internal_patterns)
