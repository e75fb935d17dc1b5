"""One scan of a checkout: read every file of the working tree and every blob the history ever
added, run the detectors, and gather their hits into findings. Reads only; nothing leaves the
machine (git runs locally, the detectors hold their rules in the installed packages)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TypeVar

from bot.scan import cryptography, documents, internal, licences, personal_data, repo, secrets
from bot.scan.batch import Batch
from bot.scan.model import (
    MAX_LOCATIONS,
    AuthorDomain,
    CryptoFinding,
    InternalReference,
    LicenceFinding,
    Location,
    PersonalDataFinding,
    ScanReport,
    SecretFinding,
)
from bot.scan.policy import ScanPolicy
from bot.scan.suggest import suggest

MAX_BYTES = 2_000_000  # larger files are data dumps or builds: too slow to read for what they hold
T = TypeVar("T")
Progress = Callable[[int, int], None]
"""Called with (done, total) as files and history blobs are read."""


BATCH_CHARS = 1_000_000


class _Findings:
    """The hits so far, keyed by what they are, each with its locations."""

    def __init__(self, hosts: internal.Hosts) -> None:
        self.hosts = hosts
        self.licences: dict[tuple[str, str, bool], list[Location]] = defaultdict(list)
        self.secrets: dict[str, list[Location]] = defaultdict(list)
        self.personal: dict[str, list[tuple[Location, int]]] = defaultdict(list)
        self.crypto: dict[tuple[str, str], list[tuple[Location, int]]] = defaultdict(list)
        self.internal: dict[tuple[str, str], list[tuple[Location, int]]] = defaultdict(list)
        self.allowed_secrets = 0
        self.licence_files: dict[str, str] = {}  # path -> expression, every licence file
        self.pointers: dict[str, licences.Pointer] = {}  # unidentified ones naming others

    def read_files(self, paths: list[str], texts: list[str]) -> None:
        """Every detector over a batch of working-tree files."""
        batch = Batch(texts)
        self._read_licences(batch, paths, texts)
        self._add_secrets(batch, [Location(path=path) for path in paths])
        for (index, kind, what), count in cryptography.find_in(batch).items():
            self.crypto[(kind, what)].append((Location(path=paths[index]), count))
        for (index, kind, target), count in internal.find_in(batch, paths, self.hosts).items():
            self.internal[(kind, target)].append((Location(path=paths[index]), count))
        for path, text in zip(paths, texts, strict=True):
            if personal_data.is_data_file(path):
                for kind, count in personal_data.count(text).items():
                    self.personal[kind].append((Location(path=path), count))

    def _read_licences(self, batch: Batch, paths: list[str], texts: list[str]) -> None:
        """Licence files, SPDX headers and the licence comments heading source files."""
        identified = {index: licences.identify(text)
                      for index, (path, text) in enumerate(zip(paths, texts, strict=True))
                      if licences.is_licence_file(path)}
        for index, hit in licences.headers_in(batch):
            if licences.quoted(hit, identified.get(index)):
                continue
            where = (hit.expression, hit.source, licences.is_third_party(paths[index]))
            self.licences[where].append(Location(path=paths[index], line=hit.line))
        for index in _commented(batch, identified):
            found = licences.in_comment(texts[index])
            if found is not None:
                expression, line = found
                comment = (expression, "comment", licences.is_third_party(paths[index]))
                self.licences[comment].append(Location(path=paths[index], line=line))
        for index, expression in identified.items():
            self.licence_files[paths[index]] = expression
            pointer = (licences.pointer(paths[index], texts[index])
                       if expression == licences.UNKNOWN else None)
            if pointer is not None:  # named once every licence file has been read
                self.pointers[paths[index]] = pointer
            else:
                self._add_licence_file(paths[index], expression)

    def _add_licence_file(self, path: str, expression: str) -> None:
        where = (expression, "file", licences.is_third_party(path))
        self.licences[where].append(Location(path=path))

    def name_pointers(self) -> None:
        """Each licence file that points to others (LICENSE: "either of the licenses found in
        LICENSE.APACHE or LICENSE.BSD") is what those files, beside it, were identified as."""
        for path, pointer in self.pointers.items():
            folder = PurePosixPath(path).parent
            found = [self.licence_files.get(str(folder / name), licences.UNKNOWN)
                     for name in pointer.files]
            self._add_licence_file(path, pointer.expression(found))
        self.pointers.clear()

    def read_blobs(self, places: list[tuple[str, str]], texts: list[str]) -> None:
        """Secrets in a batch of older file versions, each at its (commit, path)."""
        self._add_secrets(Batch(texts), [Location(path=path, commit=commit)
                                         for commit, path in places])

    def _add_secrets(self, batch: Batch, files: list[Location]) -> None:
        """The batch's credentials at their lines; the ones on a line marked as allowed are
        only counted."""
        for index, secret in secrets.find_in(batch):
            if secret.allowed:
                self.allowed_secrets += 1
            else:
                where = files[index].model_copy(update={"line": secret.line})
                self.secrets[secret.kind].append(where)


def _commented(batch: Batch, licence_files: dict[int, str]) -> list[int]:
    """The files, other than licence files, with licence words near their top: the ones whose
    heading comment may state a licence (one search over the whole batch)."""
    found: set[int] = set()
    matches = (licences.LICENCE_WORDS_LOWER.finditer(batch.lower) if batch.lower is not None
               else licences.LICENCE_WORDS.finditer(batch.text))
    for match in matches:
        index = batch.index_of(match.start())
        if match.start() - batch.starts[index] < licences.HEAD_CHARS:
            found.add(index)
    return sorted(found - set(licence_files))


def _batches(items: Iterator[tuple[T, str | None]]) -> Iterator[tuple[list[T], list[str], int]]:
    """(keys, texts, items read) of about BATCH_CHARS each; binary and huge files are skipped
    but counted, so progress moves."""
    keys: list[T] = []
    texts: list[str] = []
    size = read = 0
    for key, text in items:
        read += 1
        if text is not None:
            keys.append(key)
            texts.append(text)
            size += len(text)
        if size >= BATCH_CHARS:
            yield keys, texts, read
            keys, texts, size, read = [], [], 0, 0
    yield keys, texts, read


def _working_texts(root: Path, files: list[str]) -> Iterator[tuple[str, str | None]]:
    for path in files:
        with (root / path).open("rb") as handle:
            content = handle.read(MAX_BYTES + 1)
        yield path, _text(content) if len(content) <= MAX_BYTES else None


Place = tuple[str, str]  # (commit, path)


def _history_texts(root: Path, blobs: list[str],
                   added: dict[str, Place]) -> Iterator[tuple[Place, str | None]]:
    for blob, content in repo.read_blobs(root, blobs):
        yield added[blob], _text(content) if len(content) <= MAX_BYTES else None


def scan(root: Path, policy: ScanPolicy, progress: Progress | None = None) -> ScanReport:
    """Scan the checkout at `root` (its top directory) and suggest answers from what it holds."""
    repo.check_checkout(root)
    files = repo.working_files(root)
    at_head = repo.head_blobs(root)
    history = repo.history(root)
    head_ids = set(at_head.values())
    old_blobs = [blob for blob in history.added if blob not in head_ids]
    total, done = len(files) + len(old_blobs), 0
    findings = _Findings(internal.host_pattern(policy.host_patterns))
    for paths, texts, read in _batches(_working_texts(root, files)):
        findings.read_files(paths, texts)
        done += read
        if progress is not None:
            progress(done, total)
    findings.name_pointers()
    for places, texts, read in _batches(_history_texts(root, old_blobs, history.added)):
        findings.read_blobs(places, texts)
        done += read
        if progress is not None:
            progress(done, total)
    report = ScanReport(
        root=str(root), head=repo.head(root), files=len(files), commits=history.commits,
        history_blobs=len(old_blobs), shallow=repo.is_shallow(root),
        licences=_licence_findings(findings),
        secrets=_secret_findings(findings, at_head, history.added),
        allowed_secrets=findings.allowed_secrets,
        personal_data=[PersonalDataFinding(kind=kind, count=sum(n for _, n in places),
                                           locations=_first([loc for loc, _ in places]))
                       for kind, places in sorted(findings.personal.items())],
        cryptography=[CryptoFinding(kind=kind, what=what,
                                    count=sum(n for _, n in places),
                                    locations=_first([loc for loc, _ in places]))
                      for (kind, what), places in sorted(findings.crypto.items())],
        authors=_authors(history.author_domains, policy),
        internal_references=[InternalReference(kind=kind, target=target,
                                               count=sum(n for _, n in places),
                                               locations=_first([loc for loc, _ in places]))
                             for (kind, target), places in sorted(findings.internal.items())],
        documents=documents.find(files),
    )
    return report.model_copy(update={"suggestions": suggest(report)})


def _text(content: bytes) -> str | None:
    """The text of a file, or None for a binary one (a NUL byte early, as git decides)."""
    if b"\0" in content[:8000]:
        return None
    return content.decode("utf-8", "replace")


def _first(locations: list[Location]) -> list[Location]:
    return sorted(locations, key=lambda loc: (loc.commit is not None, loc.path,
                                              loc.line or 0))[:MAX_LOCATIONS]


def _licence_findings(findings: _Findings) -> list[LicenceFinding]:
    return [
        LicenceFinding(expression=expression, source=source,
                       copyleft=licences.copyleft(expression), third_party=third_party,
                       count=len(places), locations=_first(places))
        for (expression, source, third_party), places in sorted(findings.licences.items())
    ]


def _secret_findings(findings: _Findings, at_head: dict[str, str],
                     added: dict[str, tuple[str, str]]) -> list[SecretFinding]:
    """A working-tree hit in a committed file is in the history too: its location gains the
    commit that added that version. A hit only in old blobs at a path where the working tree
    has none of that kind is a removed secret, still in the history."""
    result = []
    for kind, places in sorted(findings.secrets.items()):
        current = {loc.path for loc in places if loc.commit is None}
        located = [loc if loc.commit is not None or at_head.get(loc.path) not in added
                   else loc.model_copy(update={"commit": added[at_head[loc.path]][0]})
                   for loc in places]
        in_history = any(loc.commit is not None for loc in located)
        removed = any(loc.path not in current for loc in places if loc.commit is not None)
        result.append(SecretFinding(kind=kind, in_working_tree=bool(current),
                                    in_history=in_history, removed=removed,
                                    count=len(located), locations=_first(located)))
    return result


def _authors(domains: dict[str, int], policy: ScanPolicy) -> list[AuthorDomain]:
    result = []
    for domain, commits in sorted(domains.items(), key=lambda item: (-item[1], item[0])):
        role, entity = policy.role_of(domain)
        result.append(AuthorDomain(domain=domain, commits=commits, role=role,
                                   entity=entity))
    return result
