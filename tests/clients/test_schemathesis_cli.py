"""Schemathesis's CLI, an outside client, against the live server from the committed spec: every check, every
phase, valid and invalid inputs, a fixed seed; any failure fails the test with its report."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.clients.operations import SPEC_PATH

# Test cases per operation in the fuzzing and stateful phases; the examples and coverage phases run in full
# whatever it is. With 25 the whole run takes about 18 s on a quiet 2-core machine (fuzzing ~7 s,
# coverage ~6 s), near 30 s when the cores are shared; 25 still found a schema-valid value the server
# refused (a NUL in `q`), which 5 and 10 did not with this seed.
EXAMPLES_PER_OPERATION = 25
SEED = 42


def test_schemathesis_cli_finds_no_failure_against_the_live_server(live_server, tmp_path):
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(SPEC_PATH), "--url", live_server.url]
    command += ["--checks", "all", "--mode", "all", "--phases", "examples,coverage,fuzzing,stateful"]
    command += ["--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED)]
    # In a temporary folder: whatever the CLI writes beside it stays out of the tree.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    if done.returncode != 0:
        pytest.fail(f"schemathesis exited with {done.returncode}:\n{done.stdout[-20000:]}\n{done.stderr[-3000:]}", pytrace=False)
