"""The README tells the truth: every setting is documented, the set-up commands are the ones CI
runs, and every curl example of its code blocks answers as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# How many curl examples the README had when this test was written: a parser that finds fewer
# has gone wrong (or examples were dropped, which deserves a look and a lower number here).
CURL_EXAMPLES_AT_LEAST = 23


def curl_examples(markdown: str) -> list[str]:
    """Every line that starts with `curl ` inside a ```bash (or ```sh) fenced block, as written."""
    examples, language = [], None
    for line in markdown.splitlines():
        fence = re.match(r"\s*```\s*(\S*)", line)
        if fence:
            language = None if language is not None else fence.group(1)
        elif language in ("bash", "sh") and re.match(r"\s*curl\s", line):
            examples.append(line.strip())
    return examples


EXAMPLES = curl_examples(README)


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in README, name


def test_ci_runs_the_readme_test_command():
    setup = README.split("## Set-up", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in setup.splitlines()]
    assert commands == ["make serve", "make test"]
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_curl_examples_are_all_found():
    assert len(EXAMPLES) >= CURL_EXAMPLES_AT_LEAST, EXAMPLES
    assert "API=http://127.0.0.1:8000" in README.splitlines()  # the variable the examples use


@pytest.fixture(scope="module")
def curl_env(live_server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment the README's examples run in: `API` pointing at the live server, as the
    README's `API=...` line sets it, and a curlrc that makes curl also write the status code to
    stderr, so that each command runs exactly as written and its answer's status is still known."""
    if shutil.which("curl") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the README's curl examples: install curl")
        pytest.skip("curl is not installed")
    home = tmp_path_factory.mktemp("curl-home")
    (home / ".curlrc").write_text('write-out = "%{stderr}%{http_code}"\n', encoding="utf-8")
    return {**os.environ, "API": live_server.url, "CURL_HOME": str(home)}


@pytest.mark.parametrize("command", EXAMPLES, ids=[e.split("  #")[0].strip() for e in EXAMPLES])
def test_readme_curl_example_answers_2xx_as_written(curl_env, command):
    result = subprocess.run(["bash", "-c", command], env=curl_env, capture_output=True, timeout=30)
    status = result.stderr.decode(errors="replace").strip()
    assert result.returncode == 0 and re.fullmatch(r"2\d\d", status), (
        f"{command}\n exit {result.returncode}, status {status}, body {result.stdout[:300]!r}"
    )
    assert result.stdout, "an example that answers with no body shows the reader nothing"
