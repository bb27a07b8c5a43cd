"""The server stays lean: the build's modules (pypinyin alone is some 50 MiB) are not loaded by it."""

from __future__ import annotations

import subprocess
import sys


def test_the_app_does_not_load_the_build_modules():
    code = "import sys, api.main; print(sorted(m for m in ('pypinyin', 'seed.dataset', 'seed.build', 'frictionless') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
