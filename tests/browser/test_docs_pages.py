"""/docs (Swagger UI) and /redoc render the API description in a real browser, Chinese included,
and request nothing from another host."""

from __future__ import annotations

import re

DOCUMENT_NUMBER = "連政綜〔2021〕127號"  # in the spec's description


def test_swagger_ui_renders_the_operations_from_this_host_only(live_server, offline_page):
    page = offline_page.page
    page.goto(f"{live_server.url}/docs")
    operation = page.locator(".opblock-summary", has_text="/v1/measures/{measure_id}").first
    operation.wait_for()
    assert "Get Measure" in operation.inner_text()
    assert DOCUMENT_NUMBER in page.locator(".info .description").inner_text()
    page.wait_for_load_state("networkidle")
    assert offline_page.elsewhere == []


def test_redoc_renders_the_operations_from_this_host_only(live_server, offline_page):
    page = offline_page.page
    page.goto(f"{live_server.url}/redoc")
    page.locator("h2", has_text=re.compile(r"^\s*Get Measure\s*$")).wait_for()
    assert DOCUMENT_NUMBER in page.locator(".api-info").inner_text()
    page.wait_for_load_state("networkidle")
    assert offline_page.elsewhere == []


def test_swagger_ui_try_it_out_calls_this_api(live_server, offline_page):
    """The pages' Content-Security-Policy (api/docs.py) still lets Swagger UI call the API."""
    page = offline_page.page
    page.goto(f"{live_server.url}/docs")
    operation = page.locator("#operations-meta-get_root")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert '"dataset_version"' in operation.locator(".live-responses-table").inner_text()
    assert offline_page.elsewhere == []
