"""Each detector on small corpora: what it finds, what it must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scan import cryptography, documents, internal, licences, personal_data, secrets
from bot.scan.policy import PolicyError, ScanPolicy, load_policy
from tests.scan.corpus import LOOK_ALIKES, MIT, planted_secrets

GPL_HEADER = "# SPDX-License-Identifier: GPL-2.0-or-later\nprint('hi')\n"


@pytest.mark.parametrize(("kind", "line"), sorted(planted_secrets().items()))
def test_every_planted_credential_is_found_by_kind_and_line(kind: str, line: str) -> None:
    hits = secrets.find("first line\n" + line + "\n")
    assert [(hit.kind, hit.line) for hit in hits] == [(kind, 2)]


@pytest.mark.parametrize("line", LOOK_ALIKES)
def test_look_alikes_of_credentials_are_not_reported(line: str) -> None:
    assert secrets.find(line + "\n") == []


def test_a_secret_hit_holds_its_kind_and_line_but_never_its_value() -> None:
    (hit,) = secrets.find(planted_secrets()["GitHub Token"])
    assert set(vars(hit)) == {"kind", "line", "allowed"}


def test_a_licence_file_is_identified_despite_its_copyright_line() -> None:
    text = MIT.format(year=2024, holder="Parser Authors")
    assert licences.find("vendor/parser/LICENSE", text) == [licences.LicenceHit("MIT", "file")]


def test_an_unrecognised_licence_text_is_unknown_not_guessed() -> None:
    assert licences.identify("You may use this if you buy me a coffee.") == licences.UNKNOWN


def test_spdx_headers_are_parsed_into_normalised_expressions() -> None:
    text = "/* SPDX-License-Identifier: apache-2.0 OR mit */\nint x;\n"
    assert licences.find("src/x.c", text) == [licences.LicenceHit("Apache-2.0 OR MIT", "header", 1)]


def test_a_header_that_does_not_parse_is_ignored() -> None:
    assert licences.find("doc.md", "SPDX-License-Identifier: (((\n") == []


@pytest.mark.parametrize(("expression", "level"), [
    ("GPL-3.0-only", "strong"), ("GPL-2.0-or-later WITH Classpath-exception-2.0", "strong"),
    ("AGPL-3.0-or-later", "network"), ("LGPL-2.1-only", "weak"), ("MPL-2.0", "weak"),
    ("EPL-2.0", "weak"), ("MIT", None), ("Apache-2.0 OR MIT", None),
    ("MIT OR GPL-3.0-only", "strong"), (licences.UNKNOWN, None),
])
def test_copyleft_follows_scancode_categories(expression: str, level: str | None) -> None:
    assert licences.copyleft(expression) == level


@pytest.mark.parametrize(("path", "third_party"), [
    ("vendor/parser/LICENSE", True), ("src/third_party/x/y.c", True),
    ("node_modules/a/index.js", True), ("LICENSE", False), ("src/vendor.py", False),
])
def test_vendored_code_is_recognised_by_its_folder(path: str, third_party: bool) -> None:
    assert licences.is_third_party(path) is third_party


def test_personal_data_is_counted_by_kind_with_check_digits() -> None:
    text = ("name,email,phone,iban,ssn\n"
            "Ann,ann.smith@gmail.com,+49 30 1234567,GB82 WEST 1234 5698 7654 32,536-90-4399\n"
            "Bob,bob@example.com,12345,GB82WEST12345698765433,000-00-0000\n")
    assert personal_data.count(text) == {"email": 1, "phone": 1, "iban": 1, "national_id": 1}


@pytest.mark.parametrize(("path", "data"), [
    ("tests/fixtures/users.py", True), ("data/customers.csv", True), ("seed.sql", True),
    ("src/app.py", False), ("package-lock.json", False),
])
def test_only_fixtures_and_data_files_are_read_for_personal_data(path: str, data: bool) -> None:
    assert personal_data.is_data_file(path) is data


def test_cryptography_uses_and_implementations_are_told_apart() -> None:
    text = ("from cryptography.hazmat.primitives.ciphers import Cipher\nimport hashlib\n"
            "SBOX = [0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b]\n")
    found = cryptography.find(text)
    assert set(found) == {("use", "Python cryptography / PyCryptodome / PyNaCl / pyOpenSSL"),
                          ("implementation", "AES S-box")}


def test_hashing_alone_is_not_reported_as_cryptography() -> None:
    assert cryptography.find("import hashlib\nhashlib.sha256(b'x')\n") == {}


def test_internal_hosts_addresses_and_registries_are_found() -> None:
    hosts = internal.host_pattern(ScanPolicy(internal_patterns=["*.acme.net"]).host_patterns)
    code = ('API = "https://billing.corp/api"\nlocal = threading.local()\n'
            "from pkg.internal import thing\nDB = '10.20.30.40'\nPUBLIC = '8.8.8.8'\n"
            "wiki: https://wiki.acme.net/page\n")
    assert internal.find("app.py", code, hosts) == {
        ("host", "billing.corp"): 1, ("address", "10.20.30.40"): 1, ("host", "wiki.acme.net"): 1}
    pip = ("[global]\nindex-url = https://artifactory.acme.com/api/pypi/simple\n"
           "extra-index-url = https://pypi.org/simple\n")
    assert internal.find("pip.conf", pip, hosts) == {("registry", "artifactory.acme.com"): 1}


def test_base_documents_are_found_where_github_looks_and_missing_ones_named() -> None:
    found = documents.find(["README.md", ".github/CODEOWNERS", "docs/SECURITY.md",
                            "src/CONTRIBUTING.md"])
    assert {d.name: d.path for d in found} == {
        "README": "README.md", "LICENSE": None, "CONTRIBUTING": None, "CODE_OF_CONDUCT": None,
        "SECURITY": "docs/SECURITY.md", "CODEOWNERS": ".github/CODEOWNERS"}


def test_the_policy_maps_author_domains_and_their_subdomains() -> None:
    policy = ScanPolicy.model_validate({"authorship": {
        "entities": {"Acme GmbH": ["acme.de"], "Acme Inc": ["acme.com"]},
        "contractors": ["devshop.io"], "partners": ["partner.org"]}})
    assert policy.role_of("eu.acme.de") == ("entity", "Acme GmbH")
    assert policy.role_of("DEVSHOP.IO") == ("contractor", None)
    assert policy.role_of("partner.org") == ("partner", None)
    assert policy.role_of("gmail.com") == ("unknown", None)


def test_a_policy_with_an_unknown_key_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("authorship:\n  entitys: {}\n")
    with pytest.raises(PolicyError, match="entitys"):
        load_policy(path)


PYCA_POINTER = ("This software is made available under the terms of *either* of the licenses\n"
                "found in LICENSE.APACHE or LICENSE.BSD. Contributions to cryptography are made\n"
                "under the terms of *both* these licenses.\n")


@pytest.mark.parametrize(("path", "text", "files", "choice"), [
    ("LICENSE", PYCA_POINTER, ("LICENSE.APACHE", "LICENSE.BSD"), True),
    ("LICENSE", ("Licensed under either of [LICENSE-APACHE](LICENSE-APACHE) or\n"
                 "[LICENSE-MIT](LICENSE-MIT) at your option."), ("LICENSE-APACHE", "LICENSE-MIT"),
     True),
    ("COPYING", "Parts are under LICENSE.PSF, the rest under COPYING.LESSER.",
     ("LICENSE.PSF", "COPYING.LESSER"), False),
])
def test_a_licence_file_naming_other_licence_files_points_to_them(
        path: str, text: str, files: tuple[str, ...], choice: bool) -> None:
    assert licences.pointer(path, text) == licences.Pointer(files, choice)


@pytest.mark.parametrize("text", [
    "See the LICENSE file.", "See the License for the specific language governing permissions",
    "Copied from docs/LICENSE.PSF", "This is LICENSE.md, see LICENSE.md",
])
def test_prose_the_file_itself_and_other_folders_are_no_pointer(text: str) -> None:
    assert licences.pointer("LICENSE.md", text) is None


def test_a_pointer_joins_what_the_files_are_as_its_text_says() -> None:
    choice, both = licences.Pointer(("A", "B"), True), licences.Pointer(("A", "B"), False)
    assert choice.expression(["Apache-2.0", "BSD-3-Clause"]) == "Apache-2.0 OR BSD-3-Clause"
    assert both.expression(["MIT", "PSF-2.0"]) == "MIT AND PSF-2.0"
    assert choice.expression(["MIT AND BSD-2-Clause", "GPL-2.0-only"]) == (
        "(MIT AND BSD-2-Clause) OR GPL-2.0-only")
    assert choice.expression(["MIT", licences.UNKNOWN]) == f"MIT OR {licences.UNKNOWN}"
    assert choice.expression([licences.UNKNOWN, licences.UNKNOWN]) == licences.UNKNOWN


def commented(marks: tuple[str, str, str], text: str) -> str:
    """`text` as a comment block in one language's style: (opening, each line, closing)."""
    opening, each, closing = marks
    lines = [f"{each}{line}".rstrip() for line in text.splitlines()]
    return "\n".join(filter(None, [opening, *lines, closing])) + "\n"


MIT_TEXT = MIT.format(year=2019, holder="Parser Authors")


@pytest.mark.parametrize("marks", [
    ("/*", " * ", " */"), ("", "// ", ""), ("#!/usr/bin/env python\n# -*- coding: utf-8 -*-",
                                           "# ", ""),
    ('"""', "", '"""'), ("<!--", "  ", "-->"), ("", "-- ", ""),
])
def test_a_licence_in_the_comment_heading_a_source_file_is_identified(
        marks: tuple[str, str, str]) -> None:
    source = commented(marks, MIT_TEXT) + "\ncode = 1\n"
    assert licences.in_comment(source) == ("MIT", 1)


def test_a_standard_notice_in_a_heading_comment_names_its_licence_line() -> None:
    source = "\n\n" + commented(("", "# ", ""), GPL_NOTICE_TEXT) + "import os\n"
    assert licences.in_comment(source) == ("GPL-2.0-or-later", 3)


GPL_NOTICE_TEXT = """parser.py - reads the input
Copyright (C) 2001 Some One

This program is free software; you can redistribute it and/or modify it under the terms of
the GNU General Public License as published by the Free Software Foundation; either version 2
of the License, or (at your option) any later version.
"""


@pytest.mark.parametrize("source", [
    commented(("/*", " * ", " */"), "Helpers for the parser.\nNo licence words here."),
    commented(("", "# ", ""), "Permission is hereby granted to buy me a coffee.\n"),
    "# SPDX-License-Identifier: MIT\n" + commented(("", "# ", ""), MIT_TEXT),  # the header counts
    'HELP = "Licensed under the Apache License, Version 2.0"\n',
])
def test_code_comments_without_a_licence_we_can_name_state_none(source: str) -> None:
    assert licences.in_comment(source) is None


@pytest.mark.parametrize("mark", ["# pragma: allowlist secret", "// gitleaks:allow",
                                  "# pragma: allowlist-secret"])
def test_a_credential_on_a_line_marked_as_allowed_is_flagged_allowed(mark: str) -> None:
    token = planted_secrets()["GitHub Token"]
    hits = secrets.find(f"{token}  {mark}\n{token}\n")
    assert [(hit.line, hit.allowed) for hit in hits] == [(1, True), (2, False)]


def test_each_comment_heading_a_file_is_read_and_the_licence_line_is_its_own() -> None:
    source = ('"""Lexer for Robot Framework.\n\n:license: BSD, see LICENSE for details.\n"""\n\n'
              + commented(("", "#  ", ""), APACHE_NOTICE_TEXT) + "\nimport re\n")
    assert licences.in_comment(source) == ("Apache-2.0", 6)


APACHE_NOTICE_TEXT = """Copyright 2012 Nokia Siemens Networks Oyj

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0
"""


def test_a_licence_comment_below_a_prologue_of_code_is_read() -> None:
    # compiled TypeScript: "use strict" and the exports come before the licence comment
    source = ('"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
              + commented(("/*", "", "*/"), APACHE_NOTICE_TEXT) + "exports.x = 1;\n")
    assert licences.in_comment(source) == ("Apache-2.0", 3)
    far = "x = 1\n" * 2000 + commented(("", "# ", ""), MIT_TEXT)  # past the top of the file
    assert licences.in_comment(far) is None


def test_expressions_are_joined_once_each_with_the_other_operator_in_parentheses() -> None:
    assert licences.joined(["MIT", "Apache-2.0 OR MIT", "MIT"]) == "MIT AND (Apache-2.0 OR MIT)"
    assert licences.joined(["Apache-2.0 OR MIT"]) == "Apache-2.0 OR MIT"
    assert licences.joined(["A AND B", "C"], "OR") == "(A AND B) OR C"
    assert licences.joined([]) == licences.UNKNOWN
