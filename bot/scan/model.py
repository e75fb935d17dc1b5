"""What a scan found: the findings per kind, each with the files (and commits) that show it.
Nothing here ever holds a secret's value or a piece of personal data, only kinds and places."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.outcomes import Evidence

MAX_LOCATIONS = 20
"""Locations kept per finding; `count` keeps the full number."""

SCHEMA_VERSION = 2
"""The report's shape. 2: licence findings may come from a source file's heading `comment`,
and `allowed_secrets` counts values on lines marked as allowed. Reports of version 1 still
read (`assess --evidence`, `chat --evidence`): the new field has a default."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Frozen):
    """A file in the working tree (`commit` None) or in a commit of the history."""

    path: str
    line: int | None = None
    commit: str | None = None

    def __str__(self) -> str:
        place = self.path if self.line is None else f"{self.path}:{self.line}"
        return place if self.commit is None else f"{place} (commit {self.commit[:10]})"


class LicenceFinding(_Frozen):
    """A licence stated by a licence file, an SPDX header, or the comment heading a source
    file (code copied from another project with its licence)."""

    expression: str  # an SPDX expression, or LicenseRef-unknown when the text is not recognised
    source: Literal["file", "header", "comment"]
    copyleft: Literal["strong", "weak", "network"] | None = None
    third_party: bool = False  # sits in vendored or copied code, not the project's own
    count: int = 1
    locations: list[Location]


class SecretFinding(_Frozen):
    """A credential of one kind: where it is now and in which commits it was ever added."""

    kind: str
    in_working_tree: bool
    in_history: bool  # found in a blob that some commit added, HEAD included
    removed: bool  # no longer in the working tree, still in the history
    count: int
    locations: list[Location]


class PersonalDataFinding(_Frozen):
    """Values that look like personal data in one fixture or data file, counted per kind."""

    kind: Literal["email", "phone", "iban", "national_id"]
    count: int
    locations: list[Location]


class CryptoFinding(_Frozen):
    """Cryptography that bears on export classification: an implementation (its constants or
    primitives written out) or a use of a cryptographic library."""

    kind: Literal["implementation", "use"]
    what: str  # e.g. "AES S-box", "Python cryptography"
    count: int
    locations: list[Location]


class AuthorDomain(_Frozen):
    """Commits by authors of one e-mail domain, and who the policy says they are."""

    domain: str
    commits: int
    role: Literal["entity", "contractor", "partner", "unknown"]
    entity: str | None = None


class InternalReference(_Frozen):
    """A reference to an internal host, address or package registry."""

    kind: Literal["host", "address", "registry"]
    target: str  # the host name or address: it is an internal name, not a credential
    count: int
    locations: list[Location]


class BaseDocument(_Frozen):
    """One of the standard base documents, and the file that provides it if any."""

    name: str
    path: str | None


class ScanReport(_Frozen):
    """Everything one scan found, and the answers it suggests."""

    schema_version: int = SCHEMA_VERSION
    root: str
    head: str | None
    files: int = 0
    commits: int = 0
    history_blobs: int = 0
    shallow: bool = False  # a shallow clone: commits before its depth were not read
    licences: list[LicenceFinding] = Field(default_factory=list)
    secrets: list[SecretFinding] = Field(default_factory=list)
    allowed_secrets: int = 0  # values on lines marked `pragma: allowlist secret`, left out
    personal_data: list[PersonalDataFinding] = Field(default_factory=list)
    cryptography: list[CryptoFinding] = Field(default_factory=list)
    authors: list[AuthorDomain] = Field(default_factory=list)
    internal_references: list[InternalReference] = Field(default_factory=list)
    documents: list[BaseDocument] = Field(default_factory=list)
    suggestions: list[Evidence] = Field(default_factory=list)
