"""The joining: findings become suggested answers, each with the evidence that speaks for it
and a confidence. The scan answers only what the code can tell; everything else stays the
user's to answer."""

from __future__ import annotations

from bot.core.outcomes import Evidence
from bot.scan.model import LicenceFinding, Location, ScanReport

SHOWN = 3  # places named in one evidence line; the report lists them all


def suggest(report: ScanReport) -> list[Evidence]:
    """Suggested answers for `obligations` (one evidence per option), `ownership`, `entities`
    and `internal_only`, in question order."""
    return [*_copyleft(report), *_secrets(report), *_personal_data(report),
            *_encryption(report), *_ownership(report), *_entities(report),
            *_internal_only(report)]


def _places(locations: list[Location], count: int) -> str:
    shown = ", ".join(str(location) for location in locations[:SHOWN])
    more = count - min(count, SHOWN)
    return shown + (f" and {more} more" if more > 0 else "")


def _copyleft(report: ScanReport) -> list[Evidence]:
    found = [f for f in report.licences if f.copyleft is not None]
    if not found:
        return []
    strongest = max(found, key=_weight)
    detail = "; ".join(f"found {f.expression} ({f.copyleft} copyleft"
                       f"{', third-party' if f.third_party else ''}) in "
                       f"{_places(f.locations, f.count)}" for f in sorted(found, key=_weight,
                                                                           reverse=True)[:SHOWN])
    confidence = {"network": 0.9, "strong": 0.9, "weak": 0.6}[strongest.copyleft or "weak"]
    if strongest.source == "header":
        confidence -= 0.1
    return [Evidence(question="obligations", answer=["copyleft"], detail=detail,
                     confidence=confidence)]


def _weight(finding: LicenceFinding) -> tuple[int, int]:
    order = {"weak": 1, "strong": 2, "network": 3}
    return order.get(finding.copyleft or "", 0), finding.source == "file"


def _secrets(report: ScanReport) -> list[Evidence]:
    if not report.secrets:
        return []
    parts = []
    for finding in report.secrets:
        where = "removed, still in the history" if finding.removed and not \
            finding.in_working_tree else "in the working tree" if not finding.in_history \
            else "in the working tree and the history"
        parts.append(f"{finding.kind} ({where}): {_places(finding.locations, finding.count)}")
    return [Evidence(question="obligations", answer=["secrets"], detail="; ".join(parts),
                     confidence=0.9)]


def _personal_data(report: ScanReport) -> list[Evidence]:
    if not report.personal_data:
        return []
    kinds = {"email": "e-mail addresses", "phone": "phone numbers", "iban": "IBANs",
             "national_id": "national id numbers"}
    detail = "; ".join(f"{f.count} possible {kinds[f.kind]} in "
                       f"{_places(f.locations, len(f.locations))}" for f in report.personal_data)
    strong = any(f.kind in {"iban", "national_id"} for f in report.personal_data)
    return [Evidence(question="obligations", answer=["personal_data"], detail=detail,
                     confidence=0.7 if strong else 0.5)]


def _encryption(report: ScanReport) -> list[Evidence]:
    if not report.cryptography:
        return []
    detail = "; ".join(f"{'implements' if f.kind == 'implementation' else 'uses'} {f.what} in "
                       f"{_places(f.locations, len(f.locations))}" for f in report.cryptography)
    implements = any(f.kind == "implementation" for f in report.cryptography)
    return [Evidence(question="obligations", answer=["encryption"], detail=detail,
                     confidence=0.8 if implements else 0.6)]


def _ownership(report: ScanReport) -> list[Evidence]:
    reasons = [f"third-party code under {f.expression} in {_places(f.locations, f.count)}"
               for f in report.licences if f.third_party]
    outsiders = [a for a in report.authors if a.role in {"contractor", "partner"}]
    reasons += [f"{a.commits} commits by {a.role} domain {a.domain}" for a in outsiders]
    if not reasons:
        return []
    return [Evidence(question="ownership", answer="unsure", detail="; ".join(reasons[:SHOWN * 2]),
                     confidence=0.7)]


def _entities(report: ScanReport) -> list[Evidence]:
    entities = sorted({a.entity for a in report.authors if a.entity is not None})
    if not entities:
        return []
    counts = ", ".join(f"{a.domain} ({a.entity}: {a.commits} commits)"
                       for a in report.authors if a.entity is not None)
    if len(entities) == 1:
        unknown = [a.domain for a in report.authors if a.role == "unknown"]
        confidence = 0.5 if unknown else 0.7
        return [Evidence(question="entities", answer="one", confidence=confidence,
                         detail=f"every commit from a known entity is from {entities[0]}: "
                                f"{counts}")]
    # The policy names entities, not their countries: "unknown" until someone says which.
    return [Evidence(question="entities", answer="unknown", confidence=0.6,
                     detail=f"authors from {len(entities)} legal entities ({', '.join(entities)})"
                            f": {counts}; say whether they are in one country or several")]


def _internal_only(report: ScanReport) -> list[Evidence]:
    if not report.internal_references:
        return []
    detail = "; ".join(f"{r.kind} {r.target} in {_places(r.locations, len(r.locations))}"
                       for r in report.internal_references[:SHOWN * 2])
    return [Evidence(question="internal_only", answer="partly", detail=detail, confidence=0.5)]
