"""Schemathesis drives the app from the committed spec, with every check it has, and validates
each response against the closed copy of the spec (tests/spec.py): an undeclared field fails."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tests.spec import closed_spec


@pytest.fixture(scope="session")
def api_schema(client, app):  # `client` runs the app's lifespan: the database is open
    schema = schemathesis.openapi.from_dict(closed_spec())
    schema.app = app
    # Valid and invalid inputs alike: invalid ones must get a declared 4xx, never a 5xx.
    schema.config.generation.update(modes=list(GenerationMode), deterministic=True)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_the_committed_spec(case):
    case.call_and_validate()
