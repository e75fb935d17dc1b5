"""The git checkout as the scan reads it, through plain `git` (always present, fast, and the
same git the user trusts): the files of the working tree, and every blob any commit on any ref
ever added, with the commit and path that added it."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

EMPTY_BLOB = "0" * 40


class RepositoryError(ValueError):
    """The path is not a git checkout git can read; the message says why."""


@dataclass
class History:
    """What the commit log says: who wrote how many commits, and which commit added each blob."""

    commits: int = 0
    author_domains: Counter[str] = field(default_factory=Counter)
    added: dict[str, tuple[str, str]] = field(default_factory=dict)  # blob -> (commit, path)


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,  # noqa: S603, S607  (git, with our arguments)
                              check=True)
    except FileNotFoundError as error:
        raise RepositoryError("git is not installed") from error
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode("utf-8", "replace").strip()
        raise RepositoryError(f"{root} is not a git checkout git can read: {message}") from error
    return done.stdout


def check_checkout(root: Path) -> None:
    """Raise RepositoryError unless `root` is the top of a git working tree."""
    if not root.is_dir():
        raise RepositoryError(f"{root} is not a directory")
    top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
    if Path(top).resolve() != root.resolve():
        raise RepositoryError(f"{root} is inside the checkout {top}: scan its top directory")


def head(root: Path) -> str | None:
    """The commit checked out, or None in a repository with no commit yet."""
    try:
        return _git(root, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except RepositoryError:
        return None


def working_files(root: Path) -> list[str]:
    """Tracked files and new files git does not ignore, as paths relative to `root`."""
    out = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    names = dict.fromkeys(name.decode("utf-8", "surrogateescape") for name in out.split(b"\0"))
    # symbolic links are skipped: one could point outside the checkout
    return [name for name in names
            if name and not (root / name).is_symlink() and (root / name).is_file()]


def is_shallow(root: Path) -> bool:
    """True for a shallow clone (CI's default depth of 1): older commits are not there to read."""
    return _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"


def head_blobs(root: Path) -> dict[str, str]:
    """Path -> blob id of the files at HEAD: those blobs are scanned in the working tree."""
    if head(root) is None:
        return {}
    out = _git(root, "ls-tree", "-r", "-z", "HEAD")
    blobs = {}
    for entry in filter(None, out.split(b"\0")):
        meta, _, path = entry.partition(b"\t")
        blobs[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
    return blobs


def history(root: Path) -> History:
    """One pass over the log of every ref: author domains, and the oldest commit that added each
    blob (merges are read against their first parent, so a merge resolution counts too)."""
    result = History()
    if head(root) is None and not _git(root, "for-each-ref").strip():
        return result
    out = _git(root, "log", "--all", "--no-renames", "--raw", "--no-abbrev", "-z",
               "--diff-merges=first-parent", "--format=%x01%H%x02%ae")
    for record in out.split(b"\x01")[1:]:
        header, _, changes = record.partition(b"\0")
        commit, _, email = header.decode("utf-8", "replace").partition("\x02")
        result.commits += 1
        result.author_domains[_domain(email)] += 1
        tokens = changes.split(b"\0")
        for meta, path in zip(tokens[::2], tokens[1::2], strict=False):
            fields = meta.strip().split()
            if len(fields) == 5 and fields[3].decode() != EMPTY_BLOB and fields[0] != b":160000":
                # newest first: the last commit seen for a blob is the oldest that added it
                result.added[fields[3].decode()] = (commit, path.decode("utf-8", "replace"))
    return result


def _domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower() or "(no domain)"


def read_blobs(root: Path, blobs: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """The content of each blob, streamed through one `git cat-file --batch`."""
    process = subprocess.Popen(["git", "-C", str(root), "cat-file", "--batch"],  # noqa: S603, S607  (git, with our arguments)
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:  # never: both are pipes
        raise RepositoryError("git cat-file has no pipes")
    wanted = list(blobs)

    def feed() -> None:  # a thread, so a full output pipe never blocks the input
        try:
            for blob in wanted:
                stdin.write(blob.encode() + b"\n")
        finally:
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for _ in wanted:
            header = stdout.readline().split()
            if len(header) < 3:  # "<oid> missing"
                continue
            content = stdout.read(int(header[2]))
            stdout.read(1)
            yield header[0].decode(), content
    finally:
        writer.join()
        stdout.close()
        process.wait()
