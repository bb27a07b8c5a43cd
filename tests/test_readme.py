"""The README tells the truth: every setting is documented, and the set-up commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

from api.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in README, name


def test_ci_runs_the_readme_test_command():
    setup = README.split("## Set-up", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in setup.splitlines()]
    assert commands == ["make serve", "make test"]
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
