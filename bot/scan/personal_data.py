"""Possible personal data in fixtures and data files: e-mail addresses, phone numbers in
international form, IBANs and national ids whose check digits hold (python-stdnum). Only
counts leave this module, never a value."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

from stdnum import iban
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.us import ssn

DATA_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".xml",
                           ".sql", ".txt", ".ldif", ".vcf", ".log", ".dump", ".psv", ".parquet"})
DATA_DIRS = frozenset({"fixtures", "fixture", "testdata", "test_data", "test-data", "data",
                       "datasets", "samples", "sample_data", "seeds", "seed", "dumps", "mocks"})
NOT_DATA = frozenset({"package-lock.json", "yarn.lock", "poetry.lock", "composer.lock",
                      "pipfile.lock", "tsconfig.json", "package.json", "renovate.json"})
RESERVED_DOMAINS = re.compile(  # RFC 2606 and 6761 names, never a real person's
    r"(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$", re.IGNORECASE)

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w-])", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+])\+[1-9][\d ().-]{7,18}\d(?!\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
DNI = re.compile(r"\b\d{8}-?[A-Z]\b")
NIR = re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b")
CODICE_FISCALE = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b")


def is_data_file(path: str) -> bool:
    """Fixtures and data files: a data format, or any file under a fixtures or data folder."""
    name = PurePosixPath(path)
    if name.name.lower() in NOT_DATA:
        return False
    return (name.suffix.lower() in DATA_SUFFIXES
            or any(part.lower() in DATA_DIRS for part in name.parts[:-1]))


def count(text: str) -> Counter[str]:
    """How many values of each kind (email, phone, iban, national_id) the text holds."""
    found: Counter[str] = Counter()
    found["email"] = sum(1 for m in EMAIL.finditer(text) if not RESERVED_DOMAINS.search(m[1]))
    found["phone"] = sum(1 for m in PHONE.finditer(text) if 8 <= _digits(m[0]) <= 15)
    found["iban"] = sum(1 for m in IBAN.finditer(text) if iban.is_valid(m[0]))
    found["national_id"] = (
        sum(1 for m in SSN.finditer(text) if ssn.is_valid(m[0]))
        + sum(1 for m in DNI.finditer(text) if dni.is_valid(m[0]))
        + sum(1 for m in NIR.finditer(text) if nir.is_valid(m[0]))
        + sum(1 for m in CODICE_FISCALE.finditer(text) if codicefiscale.is_valid(m[0]))
    )
    return +found


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)
