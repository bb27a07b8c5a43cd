"""The responsibility matrix of a document (/v1/documents/{id}/matrix): its cells and totals agree
with the measure-unit links and the units, its CSV is a spreadsheet, and its downloads are its bytes."""

from __future__ import annotations

import csv
import io

import orjson
import pytest
from frictionless import Resource, Schema

from tests.api.helpers import assert_problem
from tests.spec import validator

DOC_ID = "lianzhengzong-2021-127"
MATRIX = f"/v1/documents/{DOC_ID}/matrix"
SCRIPTS = ["hant", "hans"]
CSV_TYPE = "text/csv; charset=utf-8; header=present"
TOTALS = ["lead_count", "part_count", "measure_count"]


def every(client, path: str, **params) -> list[dict]:
    """Every record of a list, page by page."""
    page = client.get(path, params={**params, "limit": 100}).json()
    records = page["data"]
    while page["links"]["next"]:
        page = client.get(page["links"]["next"]).json()
        records += page["data"]
    return records


@pytest.fixture(scope="module")
def matrix(client) -> dict:
    response = client.get(MATRIX)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


@pytest.fixture(scope="module")
def links(client) -> dict[tuple[str, str], dict]:
    """(unit id, measure id) -> its entry of the measure's responsible-unit list."""
    return {(link["unit_id"], link["measure_id"]): link for link in every(client, "/v1/measure-units", document=DOC_ID)}


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_matrix_validates_against_the_committed_spec(client, script):
    body = client.get(MATRIX, params={"script": script}).json()
    errors = [error.message for error in validator("DocumentMatrix").iter_errors(body)]
    assert not errors, errors[:3]


def test_the_columns_are_the_documents_measures_by_number(client, matrix):
    measures = every(client, "/v1/measures", document=DOC_ID)
    assert [(m["id"], m["number"], m["title"]) for m in matrix["measures"]] == [(m["id"], m["number"], m["title"]) for m in measures]
    assert [m["number"] for m in matrix["measures"]] == list(range(1, 21))
    assert [m["unit_count"] for m in matrix["measures"]] == [len(m["units"]) for m in measures]
    assert matrix["document"] == {"id": DOC_ID, "number": "連政綜〔2021〕127號", "title": "關于堅定不移推動高質量發展的貫徹意見"}


def test_a_row_per_unit_with_a_cell_per_measure_in_column_order(client, matrix):
    document = client.get(f"/v1/documents/{DOC_ID}").json()
    assert len(matrix["units"]) == document["counts"]["units"] == len({u["id"] for u in matrix["units"]})
    columns = [m["id"] for m in matrix["measures"]]
    for unit in matrix["units"]:
        assert [cell["measure_id"] for cell in unit["cells"]] == columns, unit["id"]


def test_the_units_come_in_the_order_the_document_first_names_them(matrix, links):
    first_named = list(dict.fromkeys(unit_id for unit_id, _ in links))  # the links come by measure number, then position
    assert [u["id"] for u in matrix["units"]] == first_named
    assert first_named[:3] == ["development-reform", "finance", "financial-work-office"]  # measure 1's list


def test_every_cell_agrees_with_the_measure_unit_links(matrix, links):
    seen = 0
    for unit in matrix["units"]:
        for cell in unit["cells"]:
            link = links.get((unit["id"], cell["measure_id"]))
            if link is None:
                assert cell == {"measure_id": cell["measure_id"], "role": "absent", "position": None, "designation": None}
                continue
            seen += 1
            assert cell["role"] == ("lead" if link["lead"] else "part")
            assert (cell["position"], cell["designation"]) == (link["position"], link["designation"])
    assert seen == len(links) == 91


def test_the_development_reform_bureau_leads_measure_1_as_the_science_bureau(matrix):
    unit = next(u for u in matrix["units"] if u["id"] == "development-reform")
    first, second, third = unit["cells"][:3]
    assert (first["role"], first["designation"]) == ("lead", "科技局")
    assert (second["role"], second["position"], second["designation"]) == ("part", 2, "科技局")
    assert (third["role"], third["designation"]) == ("lead", "大數據局")
    assert unit["links"] == {"self": "/v1/units/development-reform", "measures": f"/v1/measures?document={DOC_ID}&unit=development-reform"}


def test_unit_totals_agree_with_v1_units_and_the_cells(client, matrix):
    units = {u["id"]: u for u in every(client, "/v1/units")}
    assert {u["id"] for u in matrix["units"]} == set(units)
    for row in matrix["units"]:
        roles = [cell["role"] for cell in row["cells"]]
        assert (row["lead_count"], row["part_count"]) == (roles.count("lead"), roles.count("part")), row["id"]
        assert row["measure_count"] == row["lead_count"] + row["part_count"]
        unit = units[row["id"]]  # one document: its totals are the unit's
        assert (row["measure_count"], row["lead_count"], row["name"], row["kind"]) == (
            unit["measure_count"],
            unit["lead_count"],
            unit["name"],
            unit["kind"],
        )
    assert sum(row["lead_count"] for row in matrix["units"]) == len(matrix["measures"])  # one lead a measure


def test_unit_totals_agree_with_the_facets_of_the_documents_measures(client, matrix):
    facets = client.get("/v1/measures", params={"document": DOC_ID, "facets": "unit,lead_unit", "limit": 1}).json()["meta"]["facets"]
    unit = {f["value"]: f["count"] for f in facets["unit"]}
    lead = {f["value"]: f["count"] for f in facets["lead_unit"]}
    assert unit == {row["id"]: row["measure_count"] for row in matrix["units"] if row["measure_count"]}
    assert lead == {row["id"]: row["lead_count"] for row in matrix["units"] if row["lead_count"]}


def test_the_links_of_the_matrix_answer(client, matrix):
    assert matrix["links"] == {"self": MATRIX, "csv": f"{MATRIX}.csv", "document": f"/v1/documents/{DOC_ID}"}
    assert client.get(f"/v1/documents/{DOC_ID}").json()["links"]["matrix"] == MATRIX
    for url in (*matrix["links"].values(), matrix["measures"][0]["links"]["self"], *matrix["units"][0]["links"].values()):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("asked", [{"params": {"script": "hans"}}, {"headers": {"Accept-Language": "zh-CN"}}], ids=["script", "language"])
def test_labels_follow_the_script(client, asked):
    response = client.get(MATRIX, **asked)
    assert response.headers["content-language"] == "zh-Hans"
    hans = response.json()
    units = {u["id"]: u["name"] for u in every(client, "/v1/units", script="hans")}
    assert {u["id"]: u["name"] for u in hans["units"]} == units
    assert units["development-reform"] == "县发改局"
    assert hans["document"]["title"] == "关于坚定不移推动高质量发展的贯彻意见"
    assert hans["measures"][2]["title"] == "打造区域特色数字品牌"
    development = next(u for u in hans["units"] if u["id"] == "development-reform")
    assert development["cells"][2]["designation"] == "大数据局"
    assert hans["links"]["self"] == f"{MATRIX}?script=hans"


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_TYPE
    assert response.content.endswith(b"\r\n") and not response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_csv_is_a_row_per_unit_and_a_column_per_measure(client, script):
    body = client.get(MATRIX, params={"script": script}).json()
    header, *rows = _csv_rows(client.get(f"{MATRIX}.csv", params={"script": script}))
    numbers = [str(m["number"]) for m in body["measures"]]
    assert header == ["document_id", "unit_id", "unit_name", *numbers, *TOTALS]
    assert len(rows) == len(body["units"]) and all(len(row) == len(header) for row in rows)
    for row, unit in zip(rows, body["units"], strict=True):
        assert row[:3] == [DOC_ID, unit["id"], unit["name"]]
        assert row[3:-3] == [{"lead": "lead", "part": "part", "absent": ""}[cell["role"]] for cell in unit["cells"]]
        assert row[-3:] == [str(unit[key]) for key in TOTALS]


def test_the_csv_by_url_parameter_or_accept_is_the_same_bytes(client):
    by_url = client.get(f"{MATRIX}.csv", headers={"Accept": "application/json"})  # the .csv operation answers CSV only
    for response in (client.get(MATRIX, params={"format": "csv"}), client.get(MATRIX, headers={"Accept": "text/csv"})):
        assert response.headers["content-type"] == CSV_TYPE
        assert response.content == by_url.content and response.headers["etag"] == by_url.headers["etag"]
    assert_problem(client.get(f"{MATRIX}.csv", params={"format": "csv"}), 400, parameter="format")


def test_the_csv_reads_as_a_typed_table(client, tmp_path):
    """What a spreadsheet-minded reader infers: integer totals, and in each measure's column only
    `lead`, `part` and empty."""
    (tmp_path / "matrix.csv").write_bytes(client.get(f"{MATRIX}.csv").content)
    resource = Resource("matrix.csv", basepath=str(tmp_path))
    resource.infer()
    types = {f.name: f.type for f in resource.schema.fields}
    assert {types[key] for key in TOTALS} == {"integer"}
    with Resource("matrix.csv", basepath=str(tmp_path)) as table:
        rows = table.read_rows()
    assert len(rows) == 27
    assert {row[str(n)] for row in rows for n in range(1, 21)} == {"lead", "part", None}


def test_an_unknown_document_has_no_matrix(client):
    for path in ("/v1/documents/nope/matrix", "/v1/documents/nope/matrix.csv"):
        assert_problem(client.get(path), 404)
    assert_problem(client.get(MATRIX, params={"limit": 5}), 400, parameter="limit")


@pytest.fixture(scope="module")
def listing(client) -> dict[str, dict]:
    return {f["name"]: f for f in client.get("/v1/exports").json()["files"]}


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_download_is_the_api_csv_byte_for_byte(client, listing, script):
    api = client.get(f"{MATRIX}.csv", params={"script": script}).content
    for name in (f"{script}/matrix.csv", f"{script}/matrix.excel.csv"):
        entry = listing[name]
        assert (entry["script"], entry["media_type"], entry["records"]) == (script, CSV_TYPE, 27)
    assert client.get(f"/v1/exports/{script}/matrix.csv").content == api
    assert client.get(f"/v1/exports/{script}/matrix.excel.csv").content == b"\xef\xbb\xbf" + api  # no cell starts like a formula


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_json_download_holds_each_documents_matrix_as_the_api_answers_it(client, listing, script):
    dump = orjson.loads(client.get(f"/v1/exports/{script}/matrix.json").content)
    assert (dump["script"], dump["count"], listing[f"{script}/matrix.json"]["records"]) == (script, 1, 1)
    assert dump["data"] == [client.get(MATRIX, params={"script": script}).json()]


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_data_package_describes_the_matrix(client, script, tmp_path):
    package = client.get(f"/v1/exports/{script}/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == "matrix")
    assert resource["path"] == "matrix.csv" and resource["schema"]["primaryKey"] == ["document_id", "unit_id"]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert list(fields) == ["document_id", "unit_id", "unit_name", *(str(n) for n in range(1, 21)), *TOTALS]
    assert fields["1"]["constraints"] == {"enum": ["lead", "part"]} and fields["measure_count"]["type"] == "integer"
    # The Table Schema (its foreign keys aside: they need the package) holds the API's CSV too, and
    # refuses a cell that is neither lead nor part.
    schema = {key: value for key, value in resource["schema"].items() if key != "foreignKeys"}
    data = client.get(f"{MATRIX}.csv", params={"script": script}).content
    for written, valid in ((data, True), (data.replace(b",lead,", b",leads,", 1), False)):
        (tmp_path / "matrix.csv").write_bytes(written)
        report = Resource("matrix.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(schema)).validate()
        assert report.valid is valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
        if not valid:
            assert report.flatten(["fieldName", "type"]) == [["1", "constraint-error"]]
