"""What askalono's matcher cannot say on its own, and the second matcher that says it.

pyaskalono exposes one call: the best licence of its store for a whole text and a score. Four
things follow from that, each handled here as plain data about the licence texts:

- Variants whose licence text is the same word for word (`GFDL-1.3-invariants-only`,
  `GFDL-1.3-no-invariants-or-later`... share the text of `GFDL-1.3-only`) are told apart by the
  notice that applies the licence, not by the licence text; askalono names one of them at
  random: the text is named by the plain one (`canonical`), and by the variant its heading
  notice names when it has one (`variant`).
- A near twin askalono picks must show what makes it the twin (the `Pixar` licence is Apache
  2.0 with Pixar's name in it: without the name, it is `Apache-2.0`): `TWINS`.
- A GNU licence applied "or (at your option) any later version" by the notice heading the
  file is `-or-later`, as ScanCode and the SPDX list say; askalono names only `-only`:
  `or_later`.
- A file holding several licences one after the other (Apache 2.0 then MIT, the LGPL 3.0 and
  then the GPL 3.0 it incorporates, one MIT notice per bundled library) gets one answer from a
  whole-text match: `sections` cuts it at separator lines and licence titles so each part is
  matched on its own.
- A file that is no licence text but holds a licence's standard notice ("Licensed under the
  Apache License, Version 2.0...", a NOTICE file, a README-like LICENSE) is under that
  licence: `notices`.
- Some licences are themselves several texts one after another (Python-2.0.1 is the PSF, BeOpen,
  CNRI and CWI licences; Net-SNMP, Sleepycat, OpenSSL...), and askalono names those parts,
  alone, as other licences (the CWI part as `SMLNJ`): a file that holds such a licence's whole
  text is that licence, and its parts within that text are not cut apart: `Stacks`.
- askalono's store predates licences and exceptions the SPDX list added since, and lacks every
  SPDX exception: the supplement (`bot/scan/data/licence-supplement.json.gz`) holds the SPDX
  list's own texts of exactly those, built by `python -m bot.scan.licence_match build DIR` from
  the npm package spdx-license-list (every text askalono does not identify as itself), and
  `Supplement` matches them as askalono does: the Sørensen-Dice similarity of the texts' word
  pairs.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import askalono

DATA = Path(__file__).with_name("data") / "licence-supplement.json.gz"

MIN_SCORE = 0.8
"""askalono's own default threshold: below it a text is not that licence."""

VARIANT = re.compile(r"^GFDL-(\d\.\d)-(?:no-)?invariants-(?:only|or-later)$"
                     r"|^GFDL-(\d\.\d)-or-later$")


def canonical(name: str) -> str:
    """The plain id of a licence text shared word for word by several SPDX variants."""
    match = VARIANT.match(name)
    if match:
        return f"GFDL-{match.group(1) or match.group(2)}-only"
    return name


@dataclass(frozen=True)
class Twin:
    """askalono's `name` stands only when `mark` is in the text; otherwise it is `instead`."""

    mark: re.Pattern[str]
    instead: str


TWINS = {
    "Pixar": Twin(re.compile(r"\bPixar\b|Modified Apache", re.IGNORECASE), "Apache-2.0"),
}


def check_twin(name: str, text: str) -> str:
    twin = TWINS.get(name)
    return twin.instead if twin is not None and not twin.mark.search(text) else name


GNU_ONLY = re.compile(r"^((?:A|L)?GPL-\d\.\d)-only$")
ANY_LATER = re.compile(r"version\s+\d(?:\.\d)?(?:\s+of\s+the\s+licen[cs]e)?,?\s+or\s+\(at\s+"
                       r"your\s+option\)\s+any\s+later\s+version", re.IGNORECASE)
TERMS = re.compile(r"TERMS\s+AND\s+CONDITIONS", re.IGNORECASE)


def or_later(name: str, text: str) -> str:
    """`GPL-2.0-or-later` for `GPL-2.0-only` (and the LGPL's and AGPL's) when the text applies
    the licence "or (at your option) any later version" before its terms begin: the notice
    that says so heads the file. The licence texts themselves end with that notice as an
    example of how to apply them, after their terms, so a bare licence text stays `-only`."""
    match = GNU_ONLY.match(name)
    if match is None:
        return name
    later = ANY_LATER.search(text)
    terms = TERMS.search(text)
    if later is not None and (terms is None or later.start() < terms.start()):
        return f"{match.group(1)}-or-later"
    return name


GFDL = re.compile(r"^GFDL-(\d\.\d)-only$")
GFDL_TITLE = re.compile(r"GNU\s+Free\s+Documentation\s+Licen[cs]e\s+Version\s+\d", re.IGNORECASE)
OFL = re.compile(r"^OFL-(1\.[01])$")
OFL_TITLE = re.compile(r"SIL\s+OPEN\s+FONT\s+LICEN[CS]E\s+Version", re.IGNORECASE)


def _preamble(text: str, title: re.Pattern[str]) -> str:
    """The text before the licence's own title: the notice applying it, if any."""
    found = title.search(text)
    return text[:found.start()] if found else ""


def variant(name: str, text: str) -> str:
    """The SPDX variant a notice heading the licence text names: the GFDL's "with no Invariant
    Sections" or "with the Invariant Sections being..." and "or any later version"
    (`GFDL-1.3-no-invariants-or-later`), the OFL's "with Reserved Font Name" (`OFL-1.1-RFN`),
    or a notice that applies the OFL without one (`OFL-1.1-no-RFN`). Only the notice before the
    licence's title counts: the GFDL ends with both Invariant Sections examples."""
    gfdl = GFDL.match(name)
    if gfdl is not None:
        notice = " ".join(_preamble(text, GFDL_TITLE).split()).lower()
        if "free documentation license" not in notice:
            return name
        kind = ("no-invariants-" if "with no invariant sections" in notice else
                "invariants-" if "with the invariant sections being" in notice else "")
        later = "or-later" if "any later version" in notice else "only"
        return f"GFDL-{gfdl.group(1)}-{kind}{later}"
    ofl = OFL.match(name)
    if ofl is not None:
        notice = " ".join(_preamble(text, OFL_TITLE).split()).lower()
        if "reserved font name" in notice:
            return f"{name}-RFN"
        if "licensed under the sil open font license" in notice:
            return f"{name}-no-RFN"
    return name


# --- sections ---------------------------------------------------------------------------------

SEPARATOR = re.compile(r"^[ \t]*(?:([-=*_~#+])[ \t]*(?:\1[ \t]*){4,}"  # -----, = = = = =...
                       r"|```+[\w-]*|\"\"\"|\'\'\')[ \t]*$")  # Markdown fences, quoted blocks
TITLE = re.compile(r"^[ \t]*(?:the[ \t]+)?[\w ,.()'-]{0,60}\blicen[cs]e\b[\w ,.()'-]{0,30}$",
                   re.IGNORECASE)
COPYRIGHT = re.compile(r"^[ \t]*(?:copyright\b|\(c\)|©)", re.IGNORECASE)
VERSION = re.compile(r"^[ \t]*version[ \t]+\d", re.IGNORECASE)
MIN_WORDS = 40
MAX_SECTIONS = 40


def sections(text: str) -> list[str]:
    """The parts of a text that may each be a licence: cut at separator lines (`-----`,
    `=====`...), before a copyright line that starts a paragraph (bundled licences, one after
    the other, each under its own copyright), and before licence titles followed by a version
    line ("GNU GENERAL PUBLIC LICENSE" / "Version 3, 29 June 2007", "Apache License" / "Version
    2.0"), which only start a licence. Parts under MIN_WORDS words join the part before them
    (a copyright line alone is not a licence); one part means the text is not cut."""
    lines = text.splitlines()
    cuts = [0]
    for index, line in enumerate(lines):
        starts_paragraph = index > 0 and not lines[index - 1].strip()
        if SEPARATOR.match(line) or (starts_paragraph and COPYRIGHT.match(line)):
            cuts.append(index)
        elif index > 0 and TITLE.match(line) and len(line.split()) <= 8:
            following = next((other for other in lines[index + 1:index + 4] if other.strip()), "")
            if VERSION.match(following):
                cuts.append(index)
    cuts.append(len(lines))
    parts: list[str] = []
    for start, end in itertools.pairwise(cuts):
        part = "\n".join(line for line in lines[start:end] if not SEPARATOR.match(line))
        if parts and len(part.split()) < MIN_WORDS:
            parts[-1] += "\n" + part
        elif part.strip():
            parts.append(part)
    if len(parts) > 1 and len(parts[0].split()) < MIN_WORDS:
        parts[1] = parts[0] + "\n" + parts[1]
        parts.pop(0)
    if len(parts) > MAX_SECTIONS:  # a long list of bundled notices: keep the count bounded
        parts = [*parts[:MAX_SECTIONS - 1], "\n".join(parts[MAX_SECTIONS - 1:])]
    return parts


# --- the supplement ---------------------------------------------------------------------------

WORD = re.compile(r"[a-z0-9]+")
SPELLING = {"licence": "license", "licences": "licenses", "licenced": "licensed",
            "https": "http"}  # the scheme of a licence's address says nothing of the licence


def word_pairs(text: str) -> frozenset[tuple[str, str]]:
    """The set of adjacent word pairs of a text, lower case, punctuation and layout dropped,
    British spellings as American (what askalono's own normalisation does, in short)."""
    words = [SPELLING.get(word, word) for word in WORD.findall(text.lower())]
    return frozenset(itertools.pairwise(words))


def dice(left: frozenset[tuple[str, str]], right: frozenset[tuple[str, str]]) -> float:
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


class Supplement:
    """The SPDX texts askalono's store lacks, matched by the Dice similarity of word pairs."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.pairs = {name: word_pairs(text) for name, text in texts.items()}

    def best(self, text: str) -> tuple[str, float]:
        """(expression, score) of the closest text, ("", 0.0) for an empty supplement."""
        pairs = word_pairs(text)
        scored = ((dice(pairs, reference), name) for name, reference in self.pairs.items())
        score, name = max(scored, default=(0.0, ""))
        return name, score


def containment(text: frozenset[tuple[str, str]], reference: frozenset[tuple[str, str]]) -> float:
    """How much of the reference's word pairs the text holds: 1.0 when all of it is in there."""
    return len(text & reference) / len(reference) if reference else 0.0


NOTICES = {
    # The standard notices by which a file is put under a licence, as the licences' own
    # "how to apply" appendices and the SPDX list's standard headers give them. A file that
    # holds a whole notice (word pairs: comment marks, layout and punctuation do not count)
    # is under that licence, whatever else is around it (copyright lines, a product name).
    "Apache-2.0": 'Licensed under the Apache License, Version 2.0 (the "License"); you may '
                  "not use this file except in compliance with the License. You may obtain a "
                  "copy of the License at http://www.apache.org/licenses/LICENSE-2.0",
    "MPL-2.0": "This Source Code Form is subject to the terms of the Mozilla Public License, "
               "v. 2.0. If a copy of the MPL was not distributed with this file, You can "
               "obtain one at http://mozilla.org/MPL/2.0/.",
    "GPL-2.0-or-later": "you can redistribute it and/or modify it under the terms of the GNU "
                        "General Public License as published by the Free Software Foundation; "
                        "either version 2 of the License, or (at your option) any later version.",
    "GPL-3.0-or-later": "you can redistribute it and/or modify it under the terms of the GNU "
                        "General Public License as published by the Free Software Foundation, "
                        "either version 3 of the License, or (at your option) any later version.",
    "LGPL-2.1-or-later": "you can redistribute it and/or modify it under the terms of the GNU "
                         "Lesser General Public License as published by the Free Software "
                         "Foundation; either version 2.1 of the License, or (at your option) "
                         "any later version.",
    "LGPL-3.0-or-later": "you can redistribute it and/or modify it under the terms of the GNU "
                         "Lesser General Public License as published by the Free Software "
                         "Foundation, either version 3 of the License, or (at your option) any "
                         "later version.",
    "AGPL-3.0-or-later": "you can redistribute it and/or modify it under the terms of the GNU "
                         "Affero General Public License as published by the Free Software "
                         "Foundation, either version 3 of the License, or (at your option) any "
                         "later version.",
    "MIT": ("Licensed under the MIT license", "released under the MIT License",
            "distributed under the MIT License"),
    "EPL-2.0": "This program and the accompanying materials are made available under the "
               "terms of the Eclipse Public License 2.0 which is available at "
               "http://www.eclipse.org/legal/epl-2.0",
}
MIN_CONTAINED = 0.95


@cache
def _notice_pairs() -> list[tuple[str, frozenset[tuple[str, str]]]]:
    return [(name, word_pairs(text)) for name, texts in NOTICES.items()
            for text in ((texts,) if isinstance(texts, str) else texts)]


def notices(text: str) -> list[str]:
    """The licences whose standard notice the text holds whole, in NOTICES order."""
    pairs = word_pairs(text)
    found = [name for name, reference in _notice_pairs()
             if containment(pairs, reference) >= MIN_CONTAINED]
    return list(dict.fromkeys(found))


class Stacks:
    """The licences whose SPDX text is several texts askalono names, alone, as other licences
    (Python-2.0.1: `PSF-2.0`, `CNRI-Python-GPL-Compatible`, `SMLNJ`). A file holding one's
    whole text (its word pairs, MIN_HELD of them) is under it, and each part of the file that
    lies within that text (MIN_WITHIN of the part's word pairs) is that licence, not the one
    askalono would name the part by."""

    MIN_HELD = 0.95
    MIN_WITHIN = 0.9

    def __init__(self, texts: dict[str, str]) -> None:
        self.pairs = {name: word_pairs(text) for name, text in texts.items()}

    def held(self, text: str) -> list[str]:
        """The stacked licences whose whole text the file holds."""
        pairs = word_pairs(text)
        return [name for name, reference in self.pairs.items()
                if containment(pairs, reference) >= self.MIN_HELD]

    def owner(self, part: str, held: list[str]) -> str | None:
        """The held licence whose text the part lies within (the closest one), or None."""
        pairs = word_pairs(part)
        scored = [(containment(self.pairs[name], pairs), name) for name in held]
        score, name = max(scored, default=(0.0, ""))
        return name if score >= self.MIN_WITHIN else None


@cache
def _data() -> dict[str, dict[str, str]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as stream:
        return dict(json.load(stream))


@cache
def supplement() -> Supplement:
    return Supplement(dict(_data()["texts"]))


def stacks_texts() -> dict[str, str]:
    """id -> SPDX text of the stacked licences shipped in the data file."""
    return dict(_data()["stacks"])


@cache
def stacks() -> Stacks:
    return Stacks(stacks_texts())


# --- building the supplement --------------------------------------------------------------------

DEPRECATED = {
    # SPDX deprecated these ids for expressions; the texts under them are labelled by the
    # expression the SPDX list says replaces them.
    "GPL-2.0-with-GCC-exception": "GPL-2.0-only WITH GCC-exception-2.0",
    "GPL-2.0-with-autoconf-exception": "GPL-2.0-only WITH Autoconf-exception-2.0",
    "GPL-2.0-with-bison-exception": "GPL-2.0-only WITH Bison-exception-2.2",
    "GPL-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
    "GPL-2.0-with-font-exception": "GPL-2.0-only WITH Font-exception-2.0",
    "GPL-3.0-with-GCC-exception": "GPL-3.0-only WITH GCC-exception-3.1",
    "GPL-3.0-with-autoconf-exception": "GPL-3.0-only WITH Autoconf-exception-3.0",
    "eCos-2.0": "GPL-2.0-or-later WITH eCos-exception-2.0",
    "wxWindows": "LGPL-2.0-or-later WITH WxWindows-exception-3.1",
}
GPL3_TITLE = re.compile(r"^\s*GNU GENERAL PUBLIC LICENSE\s*$", re.MULTILINE)


def build(folder: Path, identify: Callable[[str], tuple[str, float]], threshold: float,
          ) -> dict[str, str]:
    """expression -> text for every SPDX text of `folder` (the licenses/ folder of the npm
    package spdx-license-list) that `identify` (askalono) does not name as itself at
    `threshold`, and the LGPL 3.0 alone: askalono's LGPL-3.0 text carries the GPL 3.0 after it,
    so a file with the LGPL 3.0 alone scores far below its threshold."""
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        text = json.loads(path.read_text(encoding="utf-8")).get("licenseText") or ""
        if not text.strip():
            continue
        _, score = identify(text)
        if score < threshold:
            texts[DEPRECATED.get(path.stem, path.stem)] = text
        if path.stem == "LGPL-3.0-only":
            cut = GPL3_TITLE.search(text)
            texts["LGPL-3.0-only"] = text[:cut.start()] if cut else text
    return texts


NOT_STACKS = frozenset({"LGPL-3.0-only", "LGPL-3.0-or-later", "LGPL-3.0", "LGPL-3.0+"})
"""The SPDX LGPL 3.0 text carries the GPL 3.0 after it: a file holding both holds two licences
(`licences.identify` says so), so the LGPL 3.0 is no stack."""


def build_stacks(folder: Path, identify: Callable[[str], tuple[str, float]], threshold: float,
                 ) -> dict[str, str]:
    """id -> text for every SPDX text of `folder` that `sections` cuts into parts of which
    `identify` (askalono) names one, at `threshold`, as another licence."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        text = json.loads(path.read_text(encoding="utf-8")).get("licenseText") or ""
        parts = sections(text)
        if path.stem in NOT_STACKS or len(parts) < 2:
            continue
        whole = canonical(identify(text)[0])
        for part in parts:
            name, score = identify(part)
            if score >= threshold and canonical(name) != whole:
                found[path.stem] = text
                break
    return found


def write(texts: dict[str, str], source: str, target: Path = DATA,
          stacks: dict[str, str] | None = None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"source": source, "texts": texts, "stacks": stacks or {}},
                         indent=0, sort_keys=True)
    with target.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as stream:
        stream.write(payload.encode("utf-8"))  # no name, no time: reproducible bytes


def main(argv: Iterable[str] | None = None) -> None:
    """python -m bot.scan.licence_match build DIR: rebuild the supplement from the licenses/
    folder of the npm package spdx-license-list (`npm pack spdx-license-list`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "build" or not Path(args[1]).is_dir():
        raise SystemExit("usage: python -m bot.scan.licence_match build SPDX_LICENSES_DIR")
    folder = Path(args[1])

    def ask(text: str) -> tuple[str, float]:
        match = askalono.identify(text)
        return str(match.name), float(match.score)

    package = json.loads((folder.parent / "package.json").read_text(encoding="utf-8"))
    texts = build(folder, ask, MIN_SCORE)
    stacked = build_stacks(folder, ask, MIN_SCORE)
    write(texts, f"spdx-license-list {package.get('version')} (npm): texts askalono lacks, "
          "and stacked licences", stacks=stacked)
    sys.stdout.write(f"{len(texts)} texts and {len(stacked)} stacked licences written to "
                     f"{DATA}\n")


if __name__ == "__main__":
    main()
