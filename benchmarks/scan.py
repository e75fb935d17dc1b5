"""Figures for `opensource-check scan`: licence identification beside ScanCode Toolkit, secrets
recall and look-alikes, and the time and memory of a scan of a large generated repository beside
detect-secrets' own time on the same repository.

Run from the repository root: python -m benchmarks.scan [--quick] [--spdx-texts DIR]
[--scancode-python PATH] [--scancode-cache FILE] [--files N --commits N]
[--only licences|secrets|speed]

- Licences: what the scan reports for a licence file (its text identified, its SPDX headers)
  against ScanCode's `detected_license_expression_spdx` on (1) the SPDX licence list texts:
  the `licenses/` folder of the npm package spdx-license-list (`npm pack spdx-license-list`),
  or, without --spdx-texts, ScanCode's own copies of the texts that have an SPDX id (said in
  the output); (2) real licence files: the LICENSE, COPYING and NOTICE files of the installed
  Python packages (this interpreter's and ScanCode's), of npm and its dependencies, and of
  /usr/share/common-licenses; (3) edited copies of common licences: a copyright header,
  rewrapped lines, a changed word, a Markdown title; (4) source files of the same packages
  with a licence's words near their top, where the scan reads the heading comments (and
  SPDX headers) and ScanCode the whole file. Prints the agreement, how many agreements
  each equivalence rule of `Comparison` made, and every disagreement. ScanCode runs in
  --scancode-python (default: $SCANCODE_PYTHON, else this interpreter), since its pinned
  dependencies clash with the test tools.
- Secrets: a repository with every planted credential kind in files and in old commits (some
  removed), and a file of look-alikes: recall and findings on look-alikes.
- Speed: a repository of --files files and --commits commits made with git fast-import, scanned
  by the real command in a subprocess (wall time and peak memory), `detect-secrets scan` on the
  same checkout, and with --scancode-speed ScanCode's licence scan of it.
"""

# ruff: noqa: S603, S607  (the benchmark runs git, ScanCode and detect-secrets, as a user would)

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from functools import partial
from pathlib import Path

from license_expression import ExpressionError, get_spdx_licensing

from bot.scan import licences
from bot.scan.batch import Batch
from bot.scan.model import ScanReport
from tests.scan.corpus import LOOK_ALIKES, MIT, commit, init, planted_secrets

COMMON = ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "GPL-2.0-only",
          "GPL-3.0-only", "LGPL-2.1-only", "LGPL-3.0-only", "AGPL-3.0-only", "MPL-2.0",
          "EPL-2.0", "Unlicense", "CC0-1.0", "Zlib", "BSL-1.0", "0BSD", "Artistic-2.0",
          "EUPL-1.2", "WTFPL"]

LICENSING = get_spdx_licensing()


# --- licences -------------------------------------------------------------------------------

def spdx_texts(folder: Path | None, scancode_python: str) -> tuple[str, dict[str, str]]:
    """(where the texts come from, name -> text) for the SPDX licence list."""
    if folder is not None:
        texts = {}
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text())
            if data.get("licenseText"):
                texts[f"spdx/{path.stem}"] = data["licenseText"]
        return f"SPDX licence list texts from {folder}", texts
    script = ("import json, licensedcode.models as m\n"
              "print(json.dumps({l.spdx_license_key: l.text for l in m.load_licenses().values()"
              " if l.spdx_license_key and not l.spdx_license_key.startswith('LicenseRef')"
              " and not l.is_exception and not l.is_deprecated and l.text}))")
    out = subprocess.run([scancode_python, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    data = json.loads(out)
    return ("ScanCode's copies of the SPDX licence texts (no --spdx-texts given)",
            {f"spdx/{key}": text for key, text in sorted(data.items())})


NODE_MODULES = ["/usr/lib/node_modules", "/usr/local/lib/node_modules"]


def site_packages(python: str | None) -> list[Path]:
    """This interpreter's site-packages folders and those of `python` (ScanCode's, which has
    other packages)."""
    roots = [Path(p) for p in sys.path if p.endswith("site-packages")]
    if python is not None and Path(python).absolute() != Path(sys.executable).absolute():
        script = "import site; print('\\n'.join(site.getsitepackages()))"
        out = subprocess.run([python, "-c", script], capture_output=True, text=True,
                             check=False).stdout
        roots += [Path(line) for line in out.splitlines() if line.strip()]
    return roots


def real_files(python: str | None = None) -> dict[str, str]:
    """LICENSE and COPYING files of the installed Python packages (of this interpreter and of
    `python`, ScanCode's, which has other packages), of the installed npm packages (npm and
    its dependencies) and Debian's common licences, once each."""
    roots = site_packages(python)
    candidates = [p for root in roots for p in root.glob("*.dist-info/**/*")
                  if p.is_file() and licences.is_licence_file(p.name)]
    for modules in NODE_MODULES:  # npm's own packages and their dependencies
        candidates += [p for p in Path(modules).glob("**/node_modules/*/*")
                       if p.is_file() and licences.is_licence_file(p.name)]
        candidates += [p for p in Path(modules).glob("*/*")
                       if p.is_file() and licences.is_licence_file(p.name)]
    candidates += sorted(Path("/usr/share/common-licenses").glob("*"))
    seen: set[str] = set()
    found: dict[str, str] = {}
    for path in sorted(candidates):
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_text("utf-8", "replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in seen and text.strip():
            seen.add(digest)
            label = f"real/{path.parent.name}/{path.name}"
            found[label if label not in found else f"{label}#{len(found)}"] = text
    return found


SOURCE_SUFFIXES = (".py", ".js", ".c", ".h", ".go", ".java", ".ts", ".rs", ".cpp")
MAX_SOURCES = 300


def source_files(python: str | None = None) -> dict[str, str]:
    """Source files of the installed Python and npm packages (the same places as
    `real_files`) with a licence's words in their first HEAD_CHARS characters, the ones the
    scan reads the heading comments of: up to MAX_SOURCES, spread evenly over the sorted
    paths, once each."""
    roots = site_packages(python)
    roots += [Path(modules) for modules in NODE_MODULES]
    seen: set[str] = set()
    found: dict[str, str] = {}
    for path in sorted(p for root in roots for suffix in SOURCE_SUFFIXES
                       for p in root.rglob(f"*{suffix}")):
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_text("utf-8", "replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in seen and licences.LICENCE_WORDS.search(text[:licences.HEAD_CHARS]):
            seen.add(digest)
            found[f"source/{path.parent.name}/{path.name}#{len(found)}"] = text
    step = max(1, len(found) // MAX_SOURCES)
    return dict(list(found.items())[::step][:MAX_SOURCES])


def comment_answer(text: str) -> str:
    """What the scan reports for a source file that is no licence file: the licences of its
    heading comments (its SPDX headers, which ScanCode reads too, are compared as well)."""
    found = [hit.expression for _, hit in licences.headers_in(Batch([text]))]
    comment = licences.in_comment(text)
    found += [comment[0]] if comment is not None else []
    return licences.joined(found)


def edited(spdx: dict[str, str]) -> dict[str, str]:
    """Four small edits of each common licence, as licence files are found in repositories."""
    found = {}
    for key in COMMON:
        text = spdx.get(f"spdx/{key}") or (MIT.format(year=2024, holder="X") if key == "MIT"
                                            else None)
        if text is None:
            continue
        found[f"edited/{key}/copyright"] = ("Copyright (c) 2019-2024 Acme Corp. and others\n"
                                            f"All rights reserved.\n\n{text}")
        found[f"edited/{key}/rewrapped"] = "\n\n".join(
            textwrap.fill(paragraph, 60) for paragraph in text.split("\n\n"))
        found[f"edited/{key}/word"] = text.replace(" the ", " this ", 1)
        found[f"edited/{key}/markdown"] = f"# {key} licence\n\n{text}"
    return found


def scancode(paths: list[Path], python: str, cache: Path | None = None,
             ) -> tuple[list[str], int]:
    """ScanCode's expression for each file ("" for none), and how many files ScanCode read.
    With `cache`, answers are kept in that JSON file keyed by ScanCode's version and the
    text's hash, and only texts it has not seen go to ScanCode: its answers depend on nothing
    else, and it is the slow side."""
    texts = [path.read_bytes() for path in paths]
    keys = [hashlib.sha256(text).hexdigest() for text in texts]
    known: dict[str, str] = {}
    if cache is not None:
        version = scancode_version(python)
        stored = json.loads(cache.read_text()) if cache.exists() else {}
        known = stored.get(version, {})
    asked = {key: path for path, key in zip(paths, keys, strict=True) if key not in known}
    if asked:
        script = Path(__file__).with_name("scancode_reference.py")
        result = subprocess.run([python, str(script)],
                                input=json.dumps([str(p) for p in asked.values()]),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"ScanCode did not run in {python}: {result.stderr[-2000:]}")
        known = {**known, **dict(zip(asked, json.loads(result.stdout), strict=True))}
        if cache is not None:
            stored[version] = known
            cache.write_text(json.dumps(stored, indent=0, sort_keys=True))
    return [known[key] for key in keys], len(asked)


def scancode_version(python: str) -> str:
    script = "import importlib.metadata as m; print(m.version('scancode-toolkit-mini'))"
    found = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        script = script.replace("-mini", "")
        found = subprocess.run([python, "-c", script], capture_output=True, text=True,
                               check=False)
    return found.stdout.strip() or "unknown"


SCANCODE_KEYS = """import json, sys, licensedcode.models as m
keys = json.load(sys.stdin)
licences = m.load_licenses()
spdx = {k.lower() for l in licences.values() for k in [l.spdx_license_key or "",
        *(l.other_spdx_license_keys or [])] if k and not k.startswith("LicenseRef")}
texts = {k: licences[k].text for k in keys if k in licences and licences[k].text}
plain = {k.replace(".", "-"): l.spdx_license_key for k, l in licences.items()
         if l.spdx_license_key and not l.spdx_license_key.startswith("LicenseRef")}
english = {k: plain[other] for k in keys if k.endswith("-en")
           for other in (k[:-3], k[:-3] + "-de", k[:-3] + "-fr") if other in plain}
print(json.dumps({"texts": texts, "spdx": sorted(spdx), "english": english}))
"""
DISCLAIMER = "LicenseRef-scancode-warranty-disclaimer"
SCANCODE_REF = re.compile(r"LicenseRef-scancode-([a-z0-9.+-]+)")


class Comparison:
    """Whether our answer and ScanCode's are the same, and by which rule. Each rule is a way
    the two tools write the same answer differently; a rule is counted and printed, never
    silent:

    - `same`: the same expression, or the same once both are in SPDX form;
    - `neither`: we report LicenseRef-unknown and ScanCode reports nothing;
    - `reordered`: the same licences joined the same way, in another order, grouping or with
      one repeated (license-expression's `is_equivalent`): "A AND B" is "B AND A";
    - `with`: "X WITH E" and "X AND E" for an exception E: ScanCode writes AND when it matched
      the licence and its exception apart, WITH when one of its rules holds both; both say
      that licence X applies with exception E;
    - `scancode-name`: ScanCode reports `LicenseRef-scancode-K`, a licence its data (32.5)
      carries under its own name K with no SPDX id, where we report the SPDX id S; it is the
      same licence when our matcher names ScanCode's own text of K as S and S is not an SPDX
      id ScanCode's data knows (else ScanCode would have said S). The pairs are printed.
    - `disclaimer`: ScanCode adds `LicenseRef-scancode-warranty-disclaimer` beside a licence
      it names (all joined by AND) when the text has a warranty disclaimer paragraph its rule
      for that licence does not cover; a disclaimer grants and requires nothing, and the
      licence's own text holds it, so "X AND warranty-disclaimer" is X.
    - `english`: ScanCode reports `LicenseRef-scancode-K-en`, its name for the English text
      of a licence whose French or German text is ScanCode's K, K-fr or K-de (dots as
      dashes) with SPDX id S (CeCILL-B,
      CeCILL-C, DL-DE-BY-2.0), where we report S: the SPDX list has one id for the licence
      in every language, and its own text under S is the English one.
    """

    def __init__(self, python: str) -> None:
        self.python = python
        self.names: dict[str, str] = {}  # ScanCode's key -> the SPDX id of its text
        self.english: dict[str, str] = {}  # ScanCode's key of an English text -> SPDX id
        self.known: set[str] = set()  # SPDX ids ScanCode's data carries
        self.asked: set[str] = set()

    def learn(self, answers: list[str]) -> None:
        """Name the ScanCode-only keys among ScanCode's answers by matching their texts."""
        keys = sorted({k for answer in answers for k in SCANCODE_REF.findall(answer)}
                      - set(self.names) - set(self.english) - self.asked)
        self.asked.update(keys)
        if not keys and self.known:
            return
        out = subprocess.run([self.python, "-c", SCANCODE_KEYS], input=json.dumps(keys),
                             capture_output=True, text=True, check=True).stdout
        data = json.loads(out)
        self.known = set(data["spdx"])
        self.english.update(data["english"])
        for key in keys:
            text = data["texts"].get(key)
            ours = licences.identify(text) if text else licences.UNKNOWN
            simple = ours != licences.UNKNOWN and " " not in ours
            if simple and ours.lower() not in self.known:
                self.names[key] = ours

    def rule(self, ours: str, theirs: str) -> str | None:  # noqa: PLR0911  (one per rule)
        """The rule by which the answers are the same, or None: a disagreement."""
        if ours == theirs:
            return "same"
        if not theirs:
            return "neither" if ours == licences.UNKNOWN else None
        if ours == licences.UNKNOWN:
            return None
        normal = licences.normalise(theirs)
        if normal is not None and normal == licences.normalise(ours):
            return "same"
        if equivalent(ours, theirs):
            return "reordered"
        if equivalent(ours.replace(" WITH ", " AND "), theirs.replace(" WITH ", " AND ")):
            return "with"
        if DISCLAIMER in theirs and " OR " not in theirs:
            rest = [key for key in LICENSING.license_keys(theirs) if key != DISCLAIMER]
            if rest and equivalent(ours, " AND ".join(rest)):
                return "disclaimer"
        return self.renamed(ours, theirs)

    def renamed(self, ours: str, theirs: str) -> str | None:
        for rule, names in (("english", self.english), ("scancode-name", self.names)):
            renamed = SCANCODE_REF.sub(partial(rename, names), theirs)
            if renamed != theirs and (equivalent(ours, renamed) or equivalent(
                    ours.replace(" WITH ", " AND "), renamed.replace(" WITH ", " AND "))):
                return rule
        return None


def file_answer(text: str) -> str:
    """What the scan reports for a licence file: its text identified, and every SPDX header
    in it (a NOTICE file's `SPDX-License-Identifier: Apache-2.0`), joined by AND."""
    return licences.joined(hit.expression for hit in licences.find("LICENSE", text)
                           if hit.expression != licences.UNKNOWN)


def rename(names: dict[str, str], match: re.Match[str]) -> str:
    return names.get(match.group(1), match.group(0))


def equivalent(left: str, right: str) -> bool:
    try:
        return bool(LICENSING.is_equivalent(left, right))
    except ExpressionError:
        return False


def compare_licences(folder: Path | None, python: str, quick: bool,
                     cache: Path | None = None) -> None:
    where, spdx = spdx_texts(folder, python)
    corpora = {"SPDX licence list": spdx, "real licence files": real_files(python),
               "edited common licences": edited(spdx),
               "source files' heading comments": source_files(python)}
    if quick:
        corpora = {name: dict(list(texts.items())[:: max(1, len(texts) // 60)])
                   for name, texts in corpora.items()}
    print(f"Licence identification against ScanCode Toolkit ({python}); {where}")
    comparison = Comparison(python)
    with tempfile.TemporaryDirectory() as tmp:
        for name, texts in corpora.items():
            paths = []
            sources = name.startswith("source")
            for index, (label, text) in enumerate(texts.items()):
                file_name = label.split("/")[-1].split("#")[0] if sources else "LICENSE"
                path = Path(tmp) / f"{name[:4]}-{index}" / file_name
                path.parent.mkdir()
                path.write_text(text)
                paths.append(path)
            answer = comment_answer if sources else file_answer
            started = time.perf_counter()
            ours = [answer(text) for text in texts.values()]
            our_time = time.perf_counter() - started
            started = time.perf_counter()
            theirs, asked = scancode(paths, python, cache)
            their_time = time.perf_counter() - started
            comparison.learn(theirs)
            rules: dict[str, int] = {}
            disagreements = []
            for label, o, t in zip(texts, ours, theirs, strict=True):
                rule = comparison.rule(o, t)
                if rule is None:
                    disagreements.append((label, o, t))
                else:
                    rules[rule] = rules.get(rule, 0) + 1
            agreed = len(texts) - len(disagreements)
            no_id = sum(1 for _, _, t in disagreements if t.startswith("LicenseRef-scancode")
                        and " " not in t)
            by_rule = ", ".join(f"{rule} {n}" for rule, n in sorted(rules.items()))
            print(f"  {name}: {agreed}/{len(texts)} agree ({agreed / max(1, len(texts)):.1%}; "
                  f"{by_rule}); {no_id} of the disagreements are texts ScanCode gives no SPDX id "
                  f"(LicenseRef-scancode-...); ours {our_time:.1f} s, ScanCode "
                  f"{their_time:.1f} s for the {asked} texts not in its cache (with its index "
                  "load)")
            lacking = [label for label in texts if label.startswith("spdx/")
                       and label.removeprefix("spdx/").lower() not in comparison.known]
            if lacking:
                missed = sum(1 for label, _, _ in disagreements if label in lacking)
                knows = len(texts) - len(lacking)
                print(f"    {len(lacking)} of these texts are of SPDX ids ScanCode's data lacks "
                      f"(it cannot name them; {missed} of them disagree); on the {knows} texts "
                      f"whose id it has: {knows - len(disagreements) + missed}/{knows} agree "
                      f"({(knows - len(disagreements) + missed) / max(1, knows):.1%})")
            for label, o, t in disagreements:
                lacks = " (an id ScanCode's data lacks)" if label in lacking else ""
                print(f"    {label}: ours {o!r}, ScanCode {t or 'nothing'!r}{lacks}")
    if comparison.names or comparison.english:
        print("  ScanCode names without an SPDX id, as the scancode-name and english rules "
              "read them:")
        for key, spdx_id in sorted({**comparison.names, **comparison.english}.items()):
            print(f"    LicenseRef-scancode-{key} = {spdx_id}")


# --- secrets --------------------------------------------------------------------------------

def secrets_recall() -> None:
    planted = planted_secrets(seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        root = init(Path(tmp) / "secrets")
        kinds = sorted(planted)
        now, old, removed = kinds[0::3], kinds[1::3], kinds[2::3]
        commit(root, {f"config/{i}.env": planted[k] + "\n" for i, k in enumerate(now)}, "now")
        commit(root, {f"old/{i}.txt": planted[k] + "\n" for i, k in enumerate(old)}, "old")
        commit(root, {f"old/{i}.txt": "rotated\n" for i, _ in enumerate(old)}, "overwrite")
        commit(root, {f"gone/{i}.txt": planted[k] + "\n" for i, k in enumerate(removed)}, "gone")
        commit(root, {f"gone/{i}.txt": None for i, _ in enumerate(removed)}, "remove")
        commit(root, {"docs/look-alikes.md": "\n".join(LOOK_ALIKES) + "\n"}, "look-alikes")
        report = run_scan(root)[0]
    found = {f.kind for f in report.secrets}
    by_place = {(f.kind, loc.path.split("/")[0]) for f in report.secrets for loc in f.locations}
    expected = ({(k, "config") for k in now} | {(k, "old") for k in old}
                | {(k, "gone") for k in removed})
    print(f"Secrets: {len(expected & by_place)}/{len(expected)} planted credentials found "
          f"({len(now)} in files, {len(old)} overwritten and {len(removed)} removed in old "
          f"commits); kinds: {len(found & set(planted))}/{len(planted)}")
    for kind, place in sorted(expected - by_place):
        print(f"  missed: {kind} in {place}/")
    looks = [f"{f.kind} at {loc}" for f in report.secrets for loc in f.locations
             if loc.path == "docs/look-alikes.md"]
    print(f"  findings on {len(LOOK_ALIKES)} look-alikes: {len(looks)}")
    for line in looks:
        print(f"    {line}")


# --- speed ----------------------------------------------------------------------------------

MODULE = '''"""Module {n} of the generated service."""
{header}
import logging
{crypto}
LOG = logging.getLogger(__name__)
ENDPOINT = "{endpoint}"


class Handler{n}:
    """Handles requests of kind {n}."""

    def __init__(self, limit: int = {limit}) -> None:
        self.limit = limit
        self.seen: list[int] = []

    def handle(self, value: int) -> int:
        if value > self.limit:
            LOG.warning("value %s over the limit %s", value, self.limit)
            return self.limit
        self.seen.append(value)
        return value * {factor} + len(self.seen)

    def summary(self) -> dict[str, int]:
        return {{"count": len(self.seen), "total": sum(self.seen), "version": {version}}}
'''


def generated_file(n: int, version: int, rng: random.Random) -> tuple[str, str]:
    """(path, text) of the nth file: mostly Python modules, some fixtures and vendored code."""
    if n % 500 == 0:
        rows = "\n".join(f"user{n}-{i},person{n}.{i}@mail.test.com,+4915{n:07d}{i}"
                         for i in range(20))
        return f"tests/fixtures/users_{n}.csv", "login,email,phone\n" + rows + "\n"
    folder = "vendor/lib" if n % 97 == 0 else f"src/pkg{n % 50}"
    header = "# SPDX-License-Identifier: GPL-2.0-or-later" if n % 97 == 0 else \
        "# SPDX-License-Identifier: Apache-2.0" if n % 7 == 0 else ""
    crypto = "from cryptography.fernet import Fernet" if n % 211 == 0 else ""
    endpoint = f"https://svc{n % 13}.acme.corp/api" if n % 301 == 0 else "https://example.org"
    return f"{folder}/module_{n}.py", MODULE.format(
        n=n, header=header, crypto=crypto, endpoint=endpoint, limit=rng.randint(10, 10_000),
        factor=rng.randint(2, 9), version=version)


def fast_import_stream(files: int, commits: int, planted: list[str]) -> bytes:
    """A fast-import stream: commit i adds file i (while files last) and rewrites an older
    file, so the history holds about `commits` older versions; some commits plant a credential
    that a later commit removes."""
    rng = random.Random(42)
    domains = ["acme.com"] * 6 + ["acme.de"] * 2 + ["devshop.io", "gmail.com"]
    out = bytearray()

    def blob_command(path: str, text: str) -> None:
        data = text.encode()
        out.extend(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    for i in range(commits):
        who = f"dev{i % 40}@{domains[i % len(domains)]}"
        message = f"change {i}".encode()
        out.extend(f"commit refs/heads/main\nauthor Dev <{who}> {1700000000 + i} +0000\n"
                   f"committer Dev <{who}> {1700000000 + i} +0000\n"
                   f"data {len(message)}\n".encode() + message + b"\n")
        if i < files:
            blob_command(*generated_file(i, 0, rng))
        if i > 0:
            older = rng.randrange(min(i, files))
            path, text = generated_file(older, i, rng)
            if i % 1000 == 500 and planted:
                text += f"\n# temporary\n{planted[(i // 1000) % len(planted)]}\n"
            blob_command(path, text)
        if i % 5000 == 0:
            out.extend(b"progress commit\n")
    return bytes(out)


def build_repository(root: Path, files: int, commits: int) -> float:
    started = time.perf_counter()
    init(root)
    planted = [f'KEY = "{line}"' if "\n" not in line else line
               for line in planted_secrets(seed=9).values()]
    stream = fast_import_stream(files, commits, planted)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream,
                   check=True, capture_output=True)
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)
    return time.perf_counter() - started


def run_scan(root: Path) -> tuple[ScanReport, float, float]:
    """The real command in a subprocess: (report, seconds, peak RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "scan", str(root), "--format", "json",
                        "--output", output.name], check=True)
        seconds = time.perf_counter() - started
        report = ScanReport.model_validate_json(Path(output.name).read_text())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return report, seconds, max(peak, before) / 1024


def detect_secrets_time(root: Path) -> tuple[float, int]:
    """detect-secrets' own scan of the same checkout (working tree only: it reads no history),
    with its default plugins."""
    binary = Path(sys.executable).with_name("detect-secrets")
    started = time.perf_counter()
    result = subprocess.run([str(binary), "scan"], cwd=root, capture_output=True, text=True,
                            check=True)
    seconds = time.perf_counter() - started
    return seconds, sum(len(v) for v in json.loads(result.stdout)["results"].values())


def scancode_time(root: Path, python: str) -> float:
    """ScanCode's own licence scan of the same checkout (working tree; two processes)."""
    binary = Path(python).with_name("scancode")
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        started = time.perf_counter()
        subprocess.run([str(binary), "--license", "--processes", "2", "--quiet", "--json",
                        output.name, str(root)], check=True, capture_output=True)
        return time.perf_counter() - started


def speed(files: int, commits: int, scancode_python: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        built = build_repository(root, files, commits)
        report, seconds, peak = run_scan(root)
        print(f"Speed: a generated repository of {report.files:,} files and {report.commits:,} "
              f"commits ({report.history_blobs:,} older file versions), built in {built:.1f} s")
        print(f"  opensource-check scan: {seconds:.1f} s (target < 60 s), peak RSS {peak:.0f} MB;"
              f" {sum(f.count for f in report.secrets)} secret places in "
              f"{len(report.secrets)} kinds, {len(report.licences)} licence findings, "
              f"{len(report.authors)} author domains")
        ds_seconds, ds_found = detect_secrets_time(root)
        print(f"  detect-secrets scan (working tree only, default plugins): {ds_seconds:.1f} s, "
              f"{ds_found} findings")
        if scancode_python is None:
            print("  ScanCode licence scan: not run (pass --scancode-speed; it takes minutes)")
        else:
            print(f"  ScanCode licence scan (working tree only, 2 processes): "
                  f"{scancode_time(root, scancode_python):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="samples and a small repository")
    parser.add_argument("--spdx-texts", type=Path, metavar="DIR",
                        help="the licenses/ folder of the npm package spdx-license-list")
    parser.add_argument("--scancode-python", default=os.environ.get("SCANCODE_PYTHON",
                                                                    sys.executable))
    parser.add_argument("--scancode-cache", type=Path, metavar="FILE",
                        help="keep ScanCode's answers in FILE (JSON, by ScanCode's version and "
                             "the text's hash) and ask it only about texts it has not seen")
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--only", choices=["licences", "secrets", "speed"])
    parser.add_argument("--scancode-speed", action="store_true",
                        help="also time ScanCode's licence scan of the generated repository")
    args = parser.parse_args()
    if args.quick:
        args.files, args.commits = min(args.files, 2_000), min(args.commits, 2_000)
    if args.only in (None, "secrets"):
        secrets_recall()
    if args.only in (None, "speed"):
        speed(args.files, args.commits, args.scancode_python if args.scancode_speed else None)
    if args.only in (None, "licences"):
        compare_licences(args.spdx_texts, args.scancode_python, args.quick,
                         args.scancode_cache)


if __name__ == "__main__":
    main()
