"""Clients generated from the committed spec, once per session, in a temporary folder (never committed)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.clients.generated import GENERATORS
from tests.clients.operations import SPEC_PATH, load_spec


@pytest.fixture(scope="session")
def spec() -> dict:
    return load_spec()


@pytest.fixture(scope="session", params=sorted(GENERATORS))
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    generator = GENERATORS[request.param]
    if generator.needs and shutil.which(generator.needs) is None:
        reason = f"{generator.name} needs `{generator.needs}`, which is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the {generator.name} client tests: {reason}")
        pytest.skip(reason)
    return generator.generate(SPEC_PATH, tmp_path_factory.mktemp(generator.package))
