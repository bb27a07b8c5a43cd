"""Assertions shared by the API tests: one canonical shape for errors and for lists."""

from __future__ import annotations

from httpx import Response

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Response, status: int, *, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["detail"]
    if parameter is not None:
        assert [e["parameter"] for e in body["errors"]] == [parameter]
        assert body["errors"][0]["expected"]
    return body


def assert_page(response: Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"data", "meta", "links"}
    assert set(body["meta"]) == {"total", "limit", "offset", "dataset_version"}
    assert set(body["links"]) == {"self", "next", "prev", "first", "last"}
    assert response.headers["X-Total-Count"] == str(body["meta"]["total"])
    assert link_header(response) == {rel: href for rel, href in body["links"].items() if href}
    return body


def link_header(response: Response) -> dict[str, str]:
    """The RFC 8288 Link header of a list, as {rel: href} (the API writes one link per rel)."""
    links = {}
    for link in response.headers["Link"].split(", "):
        href, rel = link.split("; ")
        links[rel.removeprefix('rel="').removesuffix('"')] = href.removeprefix("<").removesuffix(">")
    return links


def numbers(response: Response) -> list[int]:
    return [m["number"] for m in assert_page(response)["data"]]
