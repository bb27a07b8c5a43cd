"""Schemathesis drives the app from the committed spec, with every check it has, and validates
each response against the closed copy of the spec (tests/spec.py): an undeclared field fails. A
request with `fields=` is validated against the closed copy for that selection instead, where a
list's items have exactly the fields named (and their key)."""

from __future__ import annotations

from functools import cache

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.spec import closed_spec, selected_spec


@pytest.fixture(scope="session")
def api_schema(client, app):  # `client` runs the app's lifespan: the database is open
    schema = schemathesis.openapi.from_dict(closed_spec())
    schema.app = app
    # Valid and invalid inputs alike: invalid ones must get a declared 4xx, never a 5xx.
    schema.config.generation.update(modes=list(GenerationMode), deterministic=True)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@cache
def selection_schema(fields: str):
    return schemathesis.openapi.from_dict(selected_spec(fields))


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_the_committed_spec(case):
    fields = (case.query or {}).get("fields")
    if not isinstance(fields, str):
        case.call_and_validate()
        return
    response = case.call()
    case.validate_response(response, excluded_checks=[response_schema_conformance])
    selection_schema(fields)[case.operation.path][case.operation.method.upper()].validate_response(response, case=case)
