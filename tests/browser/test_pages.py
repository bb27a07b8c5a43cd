"""The pages for people in a real browser: Chinese rendered in a CJK font, the search form, the unit
filter and the script switch working with no script at all, no serious or critical accessibility
violation (axe-core), and no console error, CSP violation or request to another host."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.live import get

DOCUMENT_PAGE = "/documents/lianzhengzong-2021-127"
# Chromium reports a CSP violation to the page as an event; the listener is installed before any
# of the page's own code could run (an init script, which CSP does not govern).
RECORD_VIOLATIONS = (
    "window.violations = [];"
    "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@dataclass
class Watched:
    """A page whose console errors, uncaught errors and CSP violations are recorded."""

    page: object  # playwright.sync_api.Page
    elsewhere: list[str]
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return self.page.evaluate("window.violations")

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.violations() == []
        assert self.elsewhere == []


@pytest.fixture
def watched(offline_page) -> Watched:
    page = offline_page.page
    found = Watched(page, offline_page.elsewhere)
    page.on("console", lambda message: found.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: found.errors.append(str(error)))
    page.add_init_script(RECORD_VIOLATIONS)
    return found


def hits(page) -> list[int]:
    return [int(item.get_attribute("id").removeprefix("hit-m")) for item in page.locator("ol.hits > li").all()]


def api_numbers(port: int, query: str) -> list[int]:
    status, _, body = get(port, f"/v1/measures?{query}&limit=100")
    assert status == 200
    return [measure["number"] for measure in json.loads(body)["data"]]


def chinese_fonts() -> set[str]:
    """The font families fontconfig says cover Chinese (every name of each)."""
    if shutil.which("fc-list") is None:
        pytest.skip("fc-list (fontconfig) is not installed: cannot tell which fonts cover Chinese")
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def test_the_title_is_drawn_with_a_font_that_has_chinese_glyphs(live_server, watched):
    """Not tofu: Chromium reports (DevTools' CSS.getPlatformFontsForNode) which fonts drew the
    title's characters, and each is one that fontconfig lists as covering Chinese."""
    page = watched.page
    page.goto(f"{live_server.url}/")
    title = page.locator("h1")
    assert title.inner_text() == "連江縣政策文件"
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert fonts, "no font drew the title"
    assert {font["familyName"] for font in fonts} <= chinese_fonts()
    assert sum(font["glyphCount"] for font in fonts) == len("連江縣政策文件")
    watched.assert_clean()  # the JSON-LD <script> is data: CSP blocks nothing on the page


def test_the_search_form_finds_measures_and_links_them(live_server, watched):
    page = watched.page
    page.goto(f"{live_server.url}/")
    page.get_by_label("關鍵詞").fill("養老")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/?q=*")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["養老"]
    assert hits(page) == api_numbers(live_server.port, "q=%E9%A4%8A%E8%80%81") == [18, 19]
    assert page.locator("ol.hits mark").first.inner_text() == "養老"
    page.locator("#hit-m18 h3 a").click()
    page.wait_for_url(f"**{DOCUMENT_PAGE}#m18")
    assert "養老" in page.locator("#m18").inner_text()
    watched.assert_clean()


def test_the_unit_filter_lists_the_units_measures(live_server, watched):
    page = watched.page
    page.goto(f"{live_server.url}/")
    page.get_by_label("責任單位").select_option("development-reform")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**unit=development-reform*")
    assert hits(page) == api_numbers(live_server.port, "unit=development-reform")
    assert page.get_by_label("責任單位").input_value() == "development-reform"
    watched.assert_clean()


def test_a_units_link_on_the_document_page_filters_by_it(live_server, watched):
    page = watched.page
    page.goto(f"{live_server.url}{DOCUMENT_PAGE}")
    page.locator("#m3 p.units a", has_text="大數據局").click()
    page.wait_for_url("**/?unit=*")
    assert 3 in hits(page)
    assert hits(page) == api_numbers(live_server.port, "unit=development-reform")
    watched.assert_clean()


def test_the_script_switch_turns_the_page_simplified_and_keeps_it_so(live_server, watched):
    page = watched.page
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    page.get_by_role("link", name="简体").click()
    page.wait_for_url("**script=hans*")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "连江县政策文件"
    assert page.get_by_role("link", name="繁體").get_attribute("lang") == "zh-Hant"
    page.get_by_label("关键词").fill("养老")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**q=*")
    assert parse_qs(urlsplit(page.url).query, keep_blank_values=True) == {"q": ["养老"], "unit": [""], "script": ["hans"]}
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert hits(page) == [18, 19]
    watched.assert_clean()


def test_accept_language_chooses_the_script_by_default(live_server, watched):
    page = watched.page
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    page.goto(f"{live_server.url}{DOCUMENT_PAGE}")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    watched.assert_clean()


@pytest.mark.parametrize("path", ["/", "/?q=%E9%A4%8A%E8%80%81", "/?script=hans", DOCUMENT_PAGE, "/problems/not-found"])
def test_no_serious_or_critical_accessibility_violation(live_server, watched, path):
    page = watched.page
    page.goto(f"{live_server.url}{path}")
    assert serious_violations(page) == []
    watched.assert_clean()


def serious_violations(page) -> list[tuple]:
    violations = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations if v["impact"] in ("serious", "critical")]


def test_an_error_page_is_accessible_too(live_server, watched):
    page = watched.page
    response = page.goto(f"{live_server.url}/?unit=no-such-unit")
    assert response.status == 404
    assert "no-such-unit" in page.locator("main").inner_text()
    assert serious_violations(page) == []
    # Chromium logs the page's own status as a console error; nothing else may appear.
    assert watched.errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
    watched.errors.clear()
    watched.assert_clean()


def test_the_violation_record_sees_what_the_policy_blocks(live_server, watched):
    """The CSP checks above can fail: an inline style added to the page is refused and recorded."""
    page = watched.page
    page.goto(f"{live_server.url}/")
    page.evaluate("document.head.append(Object.assign(document.createElement('style'), {textContent: 'body {}'}))")
    assert watched.violations() == ["style-src-elem inline"]
