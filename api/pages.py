"""HTML pages for people: Jinja2 templates (api/templates, autoescaped), the words of the pages in
either script, and the response every page is sent as.

A page is a pure function of its query string and the request's Negotiation (script), like every
other response, so that caches keyed on them stay right. Pages load nothing but this server's own
stylesheet: no script runs, and the Content-Security-Policy says so.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from api.negotiation import Representation, negotiation_of
from api.problems import TYPES, Problem
from api.responses import finish
from models.scripts import Script, to_hans

HERE = Path(__file__).resolve().parent
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
# Only this server's files, no inline code or style (the JSON-LD is data, which CSP does not block),
# no <base>, forms only to this server, and no framing by other sites.
CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff"}
STYLESHEET = (HERE / "static" / "site.css").read_bytes()

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every value is escaped unless marked safe: what a visitor typed included
    undefined=StrictUndefined,  # a misspelt name fails the page (and its test), never renders as ""
    trim_blocks=True,
    lstrip_blocks=True,
    # Each template is read once per process, as the representation revision (api/revision.py)
    # digests it: a template edited under a running server is not served under the old ETags.
    auto_reload=False,
)


def code_spans(text: str) -> Markup:
    """Escaped text with its `backquoted` parts as <code>, as the explanations write them."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


templates.filters["code"] = code_spans

# The pages' own words, written once in Traditional script; the Simplified ones are converted the
# way the data is (OpenCC t2s).
WORDS_HANT = {
    "site": "連江縣政策文件開放數據",
    "script_switch": "字形",
    "about": "關於本數據集",
    "source": "來源",
    "source_text": "原文作者與發文機關",
    "publisher": "數據發布者",
    "licence": "許可",
    "version": "數據版本",
    "released": "發布日期",
    "unreleased": "未發布的構建:本數據版本不在發布記錄中,沒有發布日期。",
    "documents": "文件",
    "issued": "成文日期",
    "counts": "{chapters} 章、{measures} 項措施、{units} 個責任單位",
    "read": "閱讀全文",
    "search": "搜索措施",
    "query": "關鍵詞",
    "query_hint": "標題或正文中的字詞,繁體或簡體皆可",
    "unit": "責任單位",
    "all_units": "全部單位",
    "submit": "搜索",
    "results": "搜索結果",
    "found": "共 {total} 項措施符合",
    "none_found": "沒有符合的措施。",
    "measure": "措施",
    "units": "責任單位",
    "chapter": "第{numeral}章",
    "contents": "目錄",
    "recipients": "主送",
    "adopted_by": "審議通過",
    "data": "數據與接口",
    "downloads": "下載全部數據(JSON、CSV、SQLite)",
    "releases": "歷次發布",
    "catalog": "DCAT 數據目錄",
    "api": "REST API 入口",
    "docs": "接口文檔(Swagger UI)",
    "redoc": "接口文檔(ReDoc)",
    "spec": "OpenAPI 描述",
    "home": "首頁",
    "as_json": "JSON",
    "error": "請求無法完成",
    "error_type": "這類錯誤的說明",
}
WORDS = {Script.hant: WORDS_HANT, Script.hans: {key: to_hans(text) for key, text in WORDS_HANT.items()}}
SCRIPT_NAMES = {Script.hant: "繁體", Script.hans: "简体"}  # each in its own script, whatever the page's


def script_links(request: Request, base: str) -> list[dict[str, str]]:
    """This page in each script: its path and query string with `script` set."""
    links = []
    for script in Script:
        query = {**request.query_params, "script": script.value}
        links.append(
            {
                "script": script.value,
                "lang": script.language_tag,
                "name": SCRIPT_NAMES[script],
                "href": f"{base}{request.url.path}?{urlencode(query)}",
            }
        )
    return links


def page_context(request: Request, representation: Representation) -> dict:
    """What every page's frame needs: its language and words, the script switch, and `link`, which
    makes a link to another page that keeps a script the visitor chose (`script=`) explicitly."""
    script = representation.script
    base = request.app.state.settings.public_base_url
    explicit = request.query_params.get("script")

    def link(path: str, **params: object) -> str:
        query = {name: value for name, value in params.items() if value is not None}
        if explicit:
            query["script"] = explicit
        return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")

    return {
        "lang": script.language_tag,
        "words": WORDS[script],
        "base": base,
        "link": link,
        "scripts": script_links(request, base),
        "explicit_script": explicit,
    }


def error_page(request: Request, problem: Problem) -> Response:
    """A problem as a page, for a person: its status, what went wrong and a link to what the type
    means. In the script the headers negotiate (the query's may be what was wrong)."""
    script = negotiation_of(request.scope).script
    base = request.app.state.settings.public_base_url
    body = templates.get_template("error.html").render(
        lang=script.language_tag,
        words=WORDS[script],
        base=base,
        link=lambda path, **params: f"{base}{path}",
        scripts=[],
        status=problem.status,
        phrase=HTTPStatus(problem.status).phrase,
        detail=problem.detail,
        type=TYPES.get(problem.status),
    )
    headers = {**PAGE_HEADERS, "Cache-Control": "no-store", **problem.headers}
    return Response(body.encode("utf-8"), problem.status, headers, media_type=HTML_MEDIA_TYPE)


def html_response(request: Request, template: str, representation: Representation | None, **context: object) -> Response:
    """The page rendered and finished as every response is (ETag, 304, Vary), with the pages' headers."""
    body = templates.get_template(template).render(**context).encode("utf-8")
    return finish(request, body, HTML_MEDIA_TYPE, representation, PAGE_HEADERS)


def stylesheet_response(request: Request) -> Response:
    return finish(request, STYLESHEET, "text/css; charset=utf-8", headers={"X-Content-Type-Options": "nosniff"})
