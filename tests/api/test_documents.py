"""/v1/documents, its corrections and its source text."""

from __future__ import annotations

import hashlib

from tests.api.helpers import assert_page, assert_problem
from tests.conftest import SOURCE

DOC = "/v1/documents/lianzhengzong-2021-127"


def test_the_document_list_holds_the_one_document(client):
    body = assert_page(client.get("/v1/documents"))
    assert [d["id"] for d in body["data"]] == ["lianzhengzong-2021-127"]


def test_a_document_has_its_header_counts_and_links(client):
    doc = client.get(DOC).json()
    assert (doc["number"], doc["issuer"], doc["issued_on"]) == ("連政綜〔2021〕127號", "連江縣人民政府", "2021-08-16")
    assert doc["recipients"] == ["各鄉(鎮)政府", "縣直各有關單位", "各開發區管委會"]
    assert doc["adopted_by"] == "縣委十三屆十三次全會"
    assert doc["counts"] == {"chapters": 5, "measures": 20, "units": 27, "corrections": 428, "errata": 3}
    assert doc["source"]["sha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    for link in doc["links"].values():
        assert client.get(link).status_code == 200, link


def test_the_source_is_served_byte_for_byte_as_received(client):
    response = client.get(f"{DOC}/source")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == SOURCE.read_bytes()
    assert response.headers["content-language"] == "zh-Hant"


def test_the_restored_text_in_both_scripts(client):
    restored = client.get(f"{DOC}/source", params={"form": "restored"}).text
    assert "(fā)" not in restored and restored.startswith("連政綜〔2021〕127號\n各鄉(鎮)政府,")
    hans = client.get(f"{DOC}/source", params={"form": "restored", "script": "hans"})
    assert hans.text.startswith("连政综〔2021〕127号") and hans.headers["content-language"] == "zh-Hans"
    assert len(hans.text) == len(restored)


def test_the_raw_source_in_simplified_is_the_copy_converted_damage_included(client):
    hans = client.get(f"{DOC}/source", params={"script": "hans"})
    assert hans.text.startswith("连政综〔2021〕127号\n各乡(xiāng)(镇(zhèn))政府")
    assert hans.headers["content-language"] == "zh-Hans"


def test_corrections_filter_by_kind_and_category(client):
    typo = assert_page(client.get(f"{DOC}/corrections", params={"kind": "typo"}))["data"]
    assert [(c["text"], c["suggested"], c["category"]) for c in typo] == [("防指", "防治", "erratum")]
    errata = assert_page(client.get(f"{DOC}/corrections", params={"category": "erratum"}))
    assert errata["meta"]["total"] == 3
    mojibake = assert_page(client.get(f"{DOC}/corrections", params={"kind": "mojibake"}))["data"]
    assert [(c["raw_text"], c["text"]) for c in mojibake] == [("?;?", "模化")]
    pinyin = assert_page(client.get(f"{DOC}/corrections", params={"kind": "pinyin_annotation", "limit": 100}))
    assert pinyin["meta"]["total"] == 427
    assert all(c["text"] == "" and c["raw_text"].startswith("(") for c in pinyin["data"])


def test_the_correction_log_rebuilds_the_source(client):
    restored = client.get(f"{DOC}/source", params={"form": "restored"}).text
    log, url = [], f"{DOC}/corrections?category=correction&limit=100"
    while url:
        body = client.get(url).json()
        log += body["data"]
        url = body["links"]["next"]
    for c in sorted(log, key=lambda c: (c["start"], c["raw_start"]), reverse=True):
        restored = restored[: c["start"]] + c["raw_text"] + restored[c["end"] :]
    assert restored.encode("utf-8") == SOURCE.read_bytes()


def test_unknown_document_paths_are_404(client):
    for path in ("/v1/documents/nope", "/v1/documents/nope/corrections", "/v1/documents/nope/source"):
        assert_problem(client.get(path), 404)


def test_bad_correction_filters_are_400(client):
    assert_problem(client.get(f"{DOC}/corrections", params={"kind": "spelling"}), 400, parameter="kind")
    assert_problem(client.get(f"{DOC}/corrections", params={"category": "x"}), 400, parameter="category")
