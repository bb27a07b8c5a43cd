"""The pages for people: the landing page (what the dataset is, its documents, a search that works
as a plain GET form), each document as a readable page, the problem type pages, and the headers
every page carries. The search is the API's own: a page lists what /v1/measures lists."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from fastapi.testclient import TestClient
from lxml import html

from api.main import create_app
from api.problems import TYPES
from tests.api.helpers import assert_problem

DOCUMENT = "lianzhengzong-2021-127"
PAGES = ["/", f"/documents/{DOCUMENT}"]


def page(response) -> html.HtmlElement:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return html.fromstring(response.content)


def hits(response) -> list[int]:
    """The measure numbers a landing page lists as results."""
    return [int(item.get("id").removeprefix("hit-m")) for item in page(response).xpath("//ol[@class='hits']/li")]


def api_numbers(client, **params) -> list[int]:
    return [m["number"] for m in client.get("/v1/measures", params=params).json()["data"]]


@pytest.mark.parametrize("path", [*PAGES, "/problems/not-found"])
def test_pages_are_html_confined_to_this_server(client, path):
    response = client.get(path)
    page(response)
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_revalidation_head_and_cors_as_the_api_does(client, path):
    response = client.get(path, headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert client.get(path, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == response.headers["etag"]


def test_landing_page_says_what_the_dataset_is_and_where_it_comes_from(client, app_settings, db):
    root = page(client.get("/"))
    text = root.text_content()
    info = dict(db.execute("select key, value from dataset_info").fetchall())
    assert root.get("lang") == "zh-Hant"
    assert root.findtext(".//h1") == "連江縣政策文件"
    assert "連江縣人民政府" in text  # the notice's author
    assert app_settings.publisher_name in text  # the dataset's publisher
    assert root.xpath("//a[@href='https://creativecommons.org/publicdomain/zero/1.0/']")
    assert info["dataset_version"] in text and info["dataset_version"] == client.get("/v1").json()["dataset_version"]
    assert root.xpath(f"//time[@datetime='{info['released']}']")
    assert root.xpath(f"//a[@href='/documents/{DOCUMENT}']")
    assert "連政綜〔2021〕127號" in text


def test_landing_page_links_the_api_its_docs_and_the_downloads(client):
    links = set(page(client.get("/")).xpath("//a/@href"))
    assert {"/docs", "/redoc", "/openapi.json", "/v1", "/v1/exports", "/v1/releases", "/v1/catalog"} <= links
    for path in ("/docs", "/redoc", "/openapi.json", "/v1", "/v1/exports"):
        assert client.get(path).status_code == 200


def test_an_unreleased_build_says_so_plainly(built_db, tmp_path):
    copy = tmp_path / "policy.sqlite3"
    shutil.copy(built_db, copy)
    with sqlite3.connect(copy) as connection:
        connection.execute("delete from dataset_info where key in ('released', 'first_released')")
    settings = {"database_url": f"sqlite:///{copy}", "exports_dir": str(tmp_path / "none")}
    from api.config import Settings

    with TestClient(create_app(Settings(**settings))) as client:
        root = page(client.get("/"))
    assert "未發布的構建" in root.text_content()
    assert not root.xpath("//dl[@class='facts']//time")


def test_search_form_lists_what_the_api_finds(client):
    response = client.get("/", params={"q": "养老", "unit": ""})  # a form sends its empty select too
    assert hits(response) == api_numbers(client, q="养老") == [18, 19]
    root = page(response)
    assert root.xpath("//input[@name='q']/@value") == ["养老"]
    assert [m.text for m in root.xpath("//ol[@class='hits']//mark")] == ["養老"] * len(root.xpath("//ol[@class='hits']//mark"))
    assert root.xpath("//ol[@class='hits']//a[@href='/documents/lianzhengzong-2021-127#m18']")


def test_unit_filter_lists_what_the_api_finds_and_stays_selected(client):
    response = client.get("/", params={"q": "", "unit": "development-reform"})
    assert hits(response) == api_numbers(client, unit="development-reform", limit=100)
    assert page(response).xpath("//select[@name='unit']/option[@selected]/@value") == ["development-reform"]
    assert hits(client.get("/", params={"unit": "科技局"})) == [1, 2]  # any name, as the API takes it


def test_search_and_unit_filter_combine(client):
    assert hits(client.get("/", params={"q": "數字", "unit": "development-reform"})) == api_numbers(
        client, q="數字", unit="development-reform"
    )


def test_an_empty_form_is_the_plain_landing_page(client):
    root = page(client.get("/", params={"q": " ", "unit": ""}))
    assert not root.xpath("//section[@class='results']")


def test_search_without_hits_says_so(client):
    response = client.get("/", params={"q": "不存在的字詞"})
    assert hits(response) == []
    assert "沒有符合的措施" in page(response).text_content()


def test_what_a_visitor_typed_is_echoed_only_escaped(client):
    typed = "<script>alert(1)</script>"
    response = client.get("/", params={"q": typed})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert page(response).xpath("//input[@name='q']/@value") == [typed]


def error_page(response, status: int) -> html.HtmlElement:
    """An error page: the status, the pages' headers, never stored, and a link to its type's page."""
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    root = html.fromstring(response.content)
    assert root.xpath(f"//a[@href='{TYPES[status]}']")
    return root


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"unit": "no-such-unit"}, 404, "no unit with the id, name, alias or designation 'no-such-unit'"),
        ({"script": "tc"}, 400, "script: expected 'hant' or 'hans'"),
        ({"q": "字" * 101}, 400, "q: expected String should have at most 100 characters"),
        ({"unit": "x" * 101}, 400, "unit: expected String should have at most 100 characters"),
        ({"page": "2"}, 400, "unknown query parameter 'page'"),
    ],
)
def test_bad_input_is_the_apis_problem_shown_as_a_page(client, params, status, detail):
    root = error_page(client.get("/", params=params), status)
    assert detail in root.text_content()


def test_an_error_page_is_in_the_negotiated_script_and_escapes_what_was_sent(client):
    response = client.get("/", params={"unit": "<script>alert(1)</script>"}, headers={"Accept-Language": "zh-CN"})
    root = error_page(response, 404)
    assert "<script>alert" not in response.text
    assert root.get("lang") == "zh-Hans"


def test_the_script_switch_and_accept_language_give_simplified_pages(client):
    for response in (client.get("/", params={"script": "hans"}), client.get("/", headers={"Accept-Language": "zh-CN"})):
        root = page(response)
        assert response.headers["content-language"] == "zh-Hans"
        assert root.get("lang") == "zh-Hans"
        assert root.findtext(".//h1") == "连江县政策文件"
    assert page(client.get("/", headers={"Accept-Language": "zh-CN"})).xpath("//input[@name='script']") == []


def test_the_script_switch_links_keep_the_search_and_name_their_language(client):
    root = page(client.get("/", params={"q": "养老"}))
    switch = {a.get("lang"): a.get("href") for a in root.xpath("//nav[@class='scripts']//a")}
    assert switch == {"zh-Hant": "/?q=%E5%85%BB%E8%80%81&script=hant", "zh-Hans": "/?q=%E5%85%BB%E8%80%81&script=hans"}
    assert root.xpath("//nav[@class='scripts']//a[@aria-current='page']/@lang") == ["zh-Hant"]


def test_an_explicit_script_stays_on_the_forms_and_links(client):
    root = page(client.get("/", params={"script": "hans"}))
    assert root.xpath("//form[@role='search']//input[@name='script']/@value") == ["hans"]
    assert root.xpath(f"//a[@href='/documents/{DOCUMENT}?script=hans']")


def test_document_page_is_the_whole_document_with_anchors(client):
    root = page(client.get(f"/documents/{DOCUMENT}"))
    full = client.get(f"/v1/documents/{DOCUMENT}/full").json()
    assert root.findtext(".//h1") == full["title"]
    measures = [m for chapter in full["chapters"] for m in chapter["measures"]]
    for chapter in full["chapters"]:
        assert root.get_element_by_id(f"ch{chapter['number']}") is not None
    for measure in measures:
        section = root.get_element_by_id(f"m{measure['number']}")
        assert measure["title"] in section.find(".//h3").text_content()
        assert measure["body"] in section.text_content()
        units = section.xpath(".//p[@class='units']/a[not(@class)]")
        assert [a.text for a in units] == [u["text"] for u in measure["units"]]
        assert [a.get("href") for a in units] == [f"/?unit={u['unit_id']}" for u in measure["units"]]


def test_document_page_in_simplified(client):
    root = page(client.get(f"/documents/{DOCUMENT}", params={"script": "hans"}))
    assert root.get("lang") == "zh-Hans"
    assert root.findtext(".//h1") == client.get(f"/v1/documents/{DOCUMENT}", params={"script": "hans"}).json()["title"]


def test_unknown_document_page_is_a_404_page(client):
    root = error_page(client.get("/documents/no-such-document"), 404)
    assert "no document with id 'no-such-document'" in root.text_content()


@pytest.mark.parametrize("status", sorted(TYPES))
def test_every_problem_type_leads_to_a_page_that_explains_it(client, status):
    root = page(client.get(TYPES[status]))
    assert root.get("lang") == "en"
    assert root.findtext(".//h1").startswith(str(status))
    assert TYPES[status] in root.text_content()
    assert len(root.xpath("//ul/li")) >= 2  # causes and what to do


def test_a_problems_type_is_the_page_of_its_status(client):
    problem = client.get("/v1/measures/no-such-measure").json()
    assert page(client.get(problem["type"])).findtext(".//h1") == "404 Not Found"


def test_unknown_problem_type_is_a_404_page(client):
    error_page(client.get("/problems/no-such-problem"), 404)


def test_paths_that_are_no_page_stay_problem_json(client):
    assert_problem(client.get("/documents/no-such-document/chapters"), 404)


def test_the_stylesheet_is_served_from_this_server(client):
    href = page(client.get("/")).xpath("//link[@rel='stylesheet']/@href")
    assert href == ["/assets/site.css"]
    response = client.get(href[0])
    assert response.status_code == 200 and response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_stay_out_of_the_spec(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/documents/{document_id}", "/problems/{name}", "/assets/site.css", "/sitemap.xml"} & paths.keys()
