"""The server stays lean: the build's modules (pypinyin alone is some 50 MiB) are not loaded by it."""

from __future__ import annotations

import subprocess
import sys

import pytest

# The build side: the parser and loader, and the writers of the dumps (seed/export.py and the modules it calls).
BUILD_MODULES = ("pypinyin", "frictionless", "seed.dataset", "seed.build", "seed.export", "seed.datapackage", "seed.datasette")


# api.main is what each worker imports; api.cli is what `policy-api serve` runs before it, and it
# reaches the writers only when asked to export.
@pytest.mark.parametrize("module", ["api.main", "api.cli"])
def test_the_server_does_not_load_the_build_modules(module):
    code = f"import sys, {module}; print(sorted(m for m in {BUILD_MODULES!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_objects_of_start_up_are_frozen_while_the_app_serves(app_settings):
    # The collector then never walks them again (a full collection of them stalled requests soon
    # after start); shutting down gives them back, as a test process starts and stops many apps.
    import gc

    from fastapi.testclient import TestClient

    from api.main import create_app

    gc.unfreeze()  # whatever an earlier app of this test process left frozen
    app = create_app(app_settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
