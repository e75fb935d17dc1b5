"""The reference side of benchmarks/scan.py: ScanCode Toolkit's licence detection, run in the
interpreter that has it (`pip install '.[bench]'`, or any environment with scancode-toolkit).

Reads a JSON list of file paths on standard input and prints a JSON list of ScanCode's detected
SPDX expressions ("" when it finds none), in the same order. Kept separate because ScanCode's
dependencies (an old pluggy among them) do not sit well beside the test tools."""

from __future__ import annotations

import json
import sys

from scancode.api import get_licenses  # type: ignore[import-not-found]


def main() -> None:
    paths = json.load(sys.stdin)
    found = [get_licenses(path).get("detected_license_expression_spdx") or "" for path in paths]
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
