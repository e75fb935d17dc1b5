"""Licence identification beyond askalono's single whole-text match: plain variants, near twins,
`-or-later` notices, files holding several licences, and the supplement of texts askalono's
store lacks. Fast: a handful of askalono calls, no ScanCode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.scan import licence_match, licences
from tests.scan.corpus import MIT

BSD_2 = """Copyright (c) 2020 Someone

Redistribution and use in source and binary forms, with or without modification, are
permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of
conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list of
conditions and the following disclaimer in the documentation and/or other materials provided
with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE
GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED
OF THE POSSIBILITY OF SUCH DAMAGE.
"""
GPL2_NOTICE = """This program is free software; you can redistribute it and/or modify it under
the terms of the GNU General Public License as published by the Free Software Foundation;
either version 2 of the License, or (at your option) any later version.
"""


def mit(holder: str = "Acme") -> str:
    return MIT.format(year=2024, holder=holder)


@pytest.mark.parametrize(("name", "plain"), [
    ("GFDL-1.3-invariants-only", "GFDL-1.3-only"), ("GFDL-1.2-no-invariants-or-later",
                                                    "GFDL-1.2-only"),
    ("GFDL-1.1-or-later", "GFDL-1.1-only"), ("GFDL-1.3-only", "GFDL-1.3-only"),
    ("MIT", "MIT"), ("GPL-2.0-only", "GPL-2.0-only"),
])
def test_variants_sharing_one_text_are_named_by_the_plain_one(name: str, plain: str) -> None:
    assert licence_match.canonical(name) == plain


def test_a_near_twin_without_its_mark_is_the_licence_it_is_twin_of() -> None:
    assert licence_match.check_twin("Pixar", "Apache License Version 2.0 ...") == "Apache-2.0"
    assert licence_match.check_twin("Pixar", "Modified Apache 2.0 License ...") == "Pixar"
    assert licence_match.check_twin("MIT", "anything") == "MIT"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("GPL-2.0-only", GPL2_NOTICE + "\nGNU GENERAL PUBLIC LICENSE\nTERMS AND CONDITIONS ...",
     "GPL-2.0-or-later"),
    ("LGPL-2.1-only", GPL2_NOTICE.replace("General", "Lesser General"), "LGPL-2.1-or-later"),
    # a bare licence text ends with the notice as an example, after its terms: still -only
    ("GPL-2.0-only", "GNU GENERAL PUBLIC LICENSE\nTERMS AND CONDITIONS ...\n" + GPL2_NOTICE,
     "GPL-2.0-only"),
    ("GPL-2.0-only", "GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991 ...", "GPL-2.0-only"),
    ("MIT", GPL2_NOTICE, "MIT"),
])
def test_a_heading_any_later_version_notice_makes_a_gnu_licence_or_later(
        name: str, text: str, expected: str) -> None:
    assert licence_match.or_later(name, text) == expected


def test_a_file_is_cut_at_separator_lines_and_short_parts_join_their_neighbour() -> None:
    text = f"{mit('One')}\n{'-' * 40}\n{BSD_2}\n=====\nThat is all.\n"
    parts = licence_match.sections(text)
    assert len(parts) == 2
    assert parts[0].startswith("MIT License")
    assert "Redistribution and use" in parts[1] and "That is all." in parts[1]


def test_a_file_is_cut_before_a_licence_title_followed_by_its_version() -> None:
    body = " ".join(["word"] * 60)
    text = f"Some licence\n{body}\n\nGNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007\n{body}"
    parts = licence_match.sections(text)
    assert len(parts) == 2
    assert parts[1].startswith("GNU GENERAL PUBLIC LICENSE")


def test_markdown_fences_and_quoted_blocks_cut_a_file() -> None:
    text = f"{mit('One')}\n```\n{mit('Two')}\n```\n\"\"\"\n{BSD_2}\"\"\"\n"
    assert len(licence_match.sections(text)) == 3


def test_one_licence_is_one_section() -> None:
    assert licence_match.sections(mit()) == [mit().rstrip("\n")]


def test_the_supplement_matches_by_word_pairs_and_scores_unrelated_text_low() -> None:
    supplement = licence_match.Supplement({"A": mit(), "B": BSD_2})
    name, score = supplement.best(mit("Somebody Else").replace("\n", " "))
    assert name == "A" and score > 0.95
    assert supplement.best("a recipe for bread and butter")[1] < 0.1
    assert licence_match.Supplement({}).best("anything") == ("", 0.0)


def test_the_shipped_supplement_holds_what_askalono_lacks() -> None:
    texts = licence_match.supplement().texts
    assert "GPL-2.0-only WITH Classpath-exception-2.0" in texts
    assert "GNU GENERAL PUBLIC LICENSE" not in texts["LGPL-3.0-only"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in texts["LGPL-3.0-only"]


def test_the_supplement_is_built_from_what_askalono_does_not_name(tmp_path: Path) -> None:
    folder = tmp_path / "licenses"
    folder.mkdir()
    lgpl = "GNU LESSER GENERAL PUBLIC LICENSE\nterms\n\nGNU GENERAL PUBLIC LICENSE\nmore"
    for name, text in {"MIT": "mit text", "New-1.0": "new text", "LGPL-3.0-only": lgpl,
                       "GPL-2.0-with-classpath-exception": "exception text", "Empty": ""}.items():
        (folder / f"{name}.json").write_text(json.dumps({"licenseText": text}))
    known = {"mit text": 1.0, "exception text": 0.1, "new text": 0.3}

    def identify(text: str) -> tuple[str, float]:
        return "X", known.get(text, 1.0)

    texts = licence_match.build(folder, identify, 0.8)
    assert texts == {"New-1.0": "new text",
                     "GPL-2.0-only WITH Classpath-exception-2.0": "exception text",
                     "LGPL-3.0-only": "GNU LESSER GENERAL PUBLIC LICENSE\nterms\n"}
    first, second = tmp_path / "1.json.gz", tmp_path / "2.json.gz"
    licence_match.write(texts, "test", first)
    licence_match.write(texts, "test", second)
    assert first.read_bytes() == second.read_bytes()  # reproducible bytes


# --- identify: askalono and the above together -------------------------------------------------

def test_two_licences_in_one_file_are_both_reported() -> None:
    text = f"{mit()}\n{'-' * 72}\n\nParts are under this licence:\n\n{BSD_2}"
    assert licences.identify(text) == "MIT AND BSD-2-Clause"


def test_one_licence_repeated_for_bundled_code_is_reported_once() -> None:
    text = f"{mit('Us')}\n{'-' * 72}\nbundled/x is:\n\n{mit('Them')}"
    assert licences.identify(text) == "MIT"


def test_a_text_askalono_lacks_is_named_by_the_supplement() -> None:
    lgpl_alone = licence_match.supplement().texts["LGPL-3.0-only"]
    assert licences.identify(lgpl_alone) == "LGPL-3.0-only"


def test_what_neither_matcher_knows_stays_unknown() -> None:
    assert licences.identify("Do what you like, but buy me a coffee.\n" * 5) == licences.UNKNOWN


APACHE_NOTICE = """#
# Copyright (c) Example Inc. and others.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS.
"""


def test_a_standard_notice_is_found_whatever_surrounds_it() -> None:
    assert licence_match.notices(APACHE_NOTICE) == ["Apache-2.0"]
    mpl = ("ca-bundle.crt: a bundle of certificates.\n***** BEGIN LICENSE BLOCK *****\n"
           "This Source Code Form is subject to the terms of the Mozilla Public License,\n"
           "v. 2.0. If a copy of the MPL was not distributed with this file, You can obtain\n"
           "one at http://mozilla.org/MPL/2.0/.\n***** END LICENSE BLOCK *****\n")
    assert licence_match.notices(mpl) == ["MPL-2.0"]


def test_a_notice_without_any_later_version_is_not_the_or_later_one() -> None:
    only = GPL2_NOTICE.replace(", or (at your option) any later version", "")
    assert licence_match.notices(only) == []
    assert licence_match.notices(GPL2_NOTICE) == ["GPL-2.0-or-later"]


def test_a_licence_file_that_is_a_notice_is_identified_by_it() -> None:
    assert licences.identify(APACHE_NOTICE) == "Apache-2.0"


def test_a_header_quoted_inside_a_licence_text_is_not_a_statement_about_the_repository() -> None:
    quoting = mit() + "\nTo apply it, mark each file with:\n\nSPDX-License-Identifier: MIT-0\n"
    assert licences.find("LICENSE", quoting) == [licences.LicenceHit("MIT", "file")]
    heading = "SPDX-License-Identifier: MIT OR Apache-2.0\n\n" + mit()
    assert licences.find("LICENSE", heading) == [
        licences.LicenceHit("MIT", "file"), licences.LicenceHit("MIT OR Apache-2.0", "header", 1)]
    notice = "Example\n" * 8 + "SPDX-License-Identifier: CC-BY-4.0\n"
    assert licences.find("NOTICE", notice) == [licences.LicenceHit(licences.UNKNOWN, "file"),
                                               licences.LicenceHit("CC-BY-4.0", "header", 9)]


def test_bundled_licences_each_under_its_own_copyright_are_cut_apart() -> None:
    text = f"{mit('One')}\n\n{BSD_2}"  # BSD_2 starts with its copyright line
    parts = licence_match.sections(text)
    assert len(parts) == 2
    assert parts[1].startswith("Copyright (c) 2020 Someone")
    # copyright lines in a row, or inside a paragraph, do not cut
    assert len(licence_match.sections("Copyright A\nCopyright B\n" + mit())) == 1


def test_a_short_reference_notice_names_the_licence() -> None:
    text = "QRCode for JavaScript\nCopyright (c) 2009 K\n\n Licensed under the MIT license:\n"
    assert licence_match.notices(text) == ["MIT"]
    assert licence_match.notices("Dual licensed under the MIT and GPL licenses.") == []


def test_each_licence_of_a_file_is_reported_once() -> None:
    text = f"{APACHE_NOTICE}\nLicensed under the MIT license.\n\n{mit('Them')}"
    assert licences.identify(text) == "Apache-2.0 AND MIT"


GFDL_BODY = "GNU Free Documentation License\nVersion 1.3, 3 November 2008\n\n0. PREAMBLE ..."
OFL_BODY = "SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n\nPREAMBLE ..."


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("GFDL-1.3-only", GFDL_BODY, "GFDL-1.3-only"),
    ("GFDL-1.3-only", "Permission is granted to copy, distribute and/or modify this document "
     "under the terms of the GNU Free Documentation License, Version 1.3 or any later version; "
     "with no Invariant Sections, no Front-Cover Texts.\n\n" + GFDL_BODY,
     "GFDL-1.3-no-invariants-or-later"),
    ("GFDL-1.3-only", "... under the terms of the GNU Free Documentation License, Version 1.3; "
     "with the Invariant Sections being Foo.\n\n" + GFDL_BODY, "GFDL-1.3-invariants-only"),
    # the examples in the GFDL's own addendum, after its title, say nothing of this file
    ("GFDL-1.3-only", GFDL_BODY + "\nwith no Invariant Sections ... any later version",
     "GFDL-1.3-only"),
    ("OFL-1.1", "Copyright 2020 A, with Reserved Font Name Sans.\n\n" + OFL_BODY, "OFL-1.1-RFN"),
    ("OFL-1.1", "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
     + OFL_BODY, "OFL-1.1-no-RFN"),
    ("OFL-1.1", OFL_BODY, "OFL-1.1"),
    ("MIT", "with Reserved Font Name", "MIT"),
])
def test_the_notice_heading_a_licence_names_its_variant(
        name: str, text: str, expected: str) -> None:
    assert licence_match.variant(name, text) == expected


def test_a_gpl_1_notice_without_of_the_license_is_or_later_too() -> None:
    notice = ("under the terms of the GNU General Public License as published by the Free "
              "Software Foundation; either version 1, or (at your option) any later version.")
    assert licence_match.or_later("GPL-1.0-only", notice) == "GPL-1.0-or-later"


def test_a_heading_notice_applies_to_the_licence_text_in_another_part() -> None:
    text = (f"This Font Software is licensed under the SIL Open Font License, with Reserved Font "
            f"Name Sans.\n{'-' * 40}\n{OFL_BODY}")
    assert licences._in_file("OFL-1.1", text) == "OFL-1.1-RFN"
    assert licences._in_file("MIT AND OFL-1.1", text) == "MIT AND OFL-1.1"


# --- stacked licences: one licence whose text is several -----------------------------------------

def test_a_stacked_licence_held_whole_is_named_once_and_its_parts_are_not_other_licences() -> None:
    # Python-2.0.1 is the PSF, BeOpen, CNRI and CWI licences one after another; alone, askalono
    # names those parts PSF-2.0, CNRI-Python-GPL-Compatible and SMLNJ
    python = licence_match.stacks_texts()["Python-2.0.1"]
    text = f"{mit('Us')}\n{'-' * 72}\n\n{python}\n{'-' * 72}\n\n{BSD_2}"
    assert licences.identify(text) == "MIT AND Python-2.0.1 AND BSD-2-Clause"


def test_a_part_is_the_stacked_licence_only_when_it_lies_within_its_text() -> None:
    stack = licence_match.Stacks({"S": f"{mit('One')}\n\n{BSD_2}"})
    whole = f"Preface.\n\n{mit('One')}\n\n{BSD_2}"
    assert stack.held(whole) == ["S"]
    assert stack.held(mit("One")) == []  # a part alone does not hold the stack
    assert stack.owner(BSD_2, ["S"]) == "S"
    assert stack.owner(GPL2_NOTICE * 3, ["S"]) is None
    assert stack.owner(BSD_2, []) is None


def test_stacked_licences_are_the_texts_whose_parts_askalono_names_otherwise(
        tmp_path: Path) -> None:
    folder = tmp_path / "licenses"
    folder.mkdir()
    stacked = f"{mit('One')}\n\n{BSD_2}"
    for name, text in {"Stack-1.0": stacked, "MIT": mit(), "LGPL-3.0-only": stacked}.items():
        (folder / f"{name}.json").write_text(json.dumps({"licenseText": text}))

    def identify(text: str) -> tuple[str, float]:
        if text == stacked:
            return "Stack-1.0", 1.0
        return ("BSD-2-Clause", 0.95) if "Redistribution" in text else ("MIT", 0.97)

    # the LGPL 3.0 carries the GPL 3.0 after it: two licences, not one stacked licence
    assert licence_match.build_stacks(folder, identify, 0.8) == {"Stack-1.0": stacked}


def test_a_long_bundle_of_licences_is_read_to_its_end() -> None:
    notices = [mit(f"Library {n}") for n in range(20)] + [BSD_2]
    parts = licence_match.sections("\n\n".join(notices))
    assert len(parts) == 21 and licences.identify("\n\n".join(notices)) == "MIT AND BSD-2-Clause"


def test_one_licence_under_other_holders_is_matched_once() -> None:
    first, other = mit("Ann Example"), mit("Bob Example").replace("2024", "2019")
    assert licences.match(first) is licences.match(other)  # one askalono call, remembered
    reworded = first.replace("free of charge", "for a small fee")
    assert licences.match(reworded) is not licences.match(first)
    # a statement is blanked, the licence's own wording about copyright holders is not
    bsd_owner = BSD_2.replace("COPYRIGHT HOLDER OR", "\nCOPYRIGHT OWNER OR")
    assert licences.match(bsd_owner) is not licences.match(BSD_2.replace(
        "COPYRIGHT HOLDER OR", "\nCOPYRIGHT HOLDER OR"))
