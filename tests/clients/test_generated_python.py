"""Python clients generated from the committed spec (openapi-python-client and openapi-generator's `python`)
call every operation of the live server and parse what it answers, today's responses and a later version's."""

from __future__ import annotations

import json
import re

import pytest

from tests.clients.operations import FUTURE_FIELD, Operation, from_a_later_version, load_spec, operations
from tests.live import get

OPERATIONS = operations(load_spec())
JSON_OPERATIONS = [operation for operation in OPERATIONS if operation.kind == "model"]
EXPORTS = "/v1/exports"  # lists every download; each one is called by the operation whose path it matches


def by_id(operation: Operation) -> str:
    return operation.operation_id


@pytest.fixture(scope="module")
def export_urls(live_server) -> list[str]:
    """Every download, at its current and its immutable URL, and the current release's URL."""
    listing = json.loads(plain_get(live_server, EXPORTS))
    urls = [url for file in listing["files"] for url in (file["url"], file["immutable_url"])]
    assert urls
    return [*urls, f"/v1/releases/{listing['release']}"]


def owner(url: str) -> Operation | None:
    """The operation that serves `url`: of those whose path matches it, the one with the most literal
    characters (/v1/releases/{release}/exports/{name} rather than /v1/releases/{release})."""
    matching = [operation for operation in OPERATIONS if operation.matches(url) is not None]
    return max(matching, key=lambda operation: len(re.sub(r"\{\w+\}", "", operation.path)), default=None)


def arguments(operation: Operation, export_urls: list[str]) -> list[dict[str, str]]:
    """The path parameters to call `operation` with: every listed URL it serves, else the spec's examples
    (a release's id changes with its content: the current one is listed, the spec's example may be gone)."""
    served = [operation.matches(url) for url in export_urls if owner(url) is operation]
    return served or [operation.path_params]


def plain_get(live_server, url: str) -> bytes:
    status, _, body = get(live_server.port, url)
    assert status == 200, f"GET {url}: {status}"
    return body


def check_result(generated, operation: Operation, parsed: object, received: bytes, body: bytes) -> None:
    """`parsed` from the generated client, `received` the body it parsed, `body` what a plain GET of the URL gets."""
    if operation.kind == "model":
        assert isinstance(parsed, generated.model(operation.schema_name)), f"{type(parsed)} is not the model of {operation.schema_name}"
        assert generated.as_json(parsed) == json.loads(received), "the model lost or changed part of the body"
    elif operation.kind == "text":
        assert isinstance(parsed, str), f"{type(parsed)} is not text"
        assert parsed == body.decode("utf-8")
    else:
        content = generated.payload(parsed)
        assert isinstance(content, bytes | bytearray | str), f"{type(content)} is neither bytes nor text"
        assert (content.encode("utf-8") if isinstance(content, str) else bytes(content)) == body, "not the bytes a plain GET gets"


@pytest.mark.parametrize("operation", OPERATIONS, ids=by_id)
def test_generated_client_calls_every_operation_and_parses_its_200(generated, live_server, export_urls, operation: Operation):
    failures = []
    for params in arguments(operation, export_urls):
        url = operation.url(params)
        try:
            status, parsed, received = generated.call(live_server.url, operation, params)
            assert status == 200, f"status {status}"
            check_result(generated, operation, parsed, received, plain_get(live_server, url))
        except Exception as error:  # every download is tried; the report lists each one that failed
            failures.append(f"{url}: {type(error).__name__}: {str(error)[:500]}")
    assert not failures, f"{generated.name}, {operation.operation_id}:\n" + "\n".join(failures)


@pytest.mark.parametrize("operation", JSON_OPERATIONS, ids=by_id)
def test_generated_models_parse_a_response_of_a_later_version(generated, live_server, spec, export_urls, operation: Operation):
    """Within /v1 fields are only added and enums may gain values: a generated client must keep working."""
    body = json.loads(plain_get(live_server, operation.url(arguments(operation, export_urls)[0])))
    later = from_a_later_version(spec, {"$ref": f"#/components/schemas/{operation.schema_name}"}, body)
    assert later[FUTURE_FIELD]
    model = generated.model(operation.schema_name)
    assert isinstance(generated.parse(model, later), model)
