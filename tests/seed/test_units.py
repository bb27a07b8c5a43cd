"""The unit registry and the county-prefix rule, checked through the built database."""

from __future__ import annotations

import orjson

EXPECTED_LISTS = {
    1: ["development-reform", "finance", "financial-work-office", "industry-information-technology", "townships", "development-zones"],
    6: ["industry-information-technology", "fuzhou-logistics-city-headquarters", "townships", "development-zones"],
    10: [
        "administrative-service-center",
        "development-reform",
        "industry-information-technology",
        "natural-resources-planning",
        "land-development-center",
    ],
    12: ["political-legal-affairs-commission", "development-reform", "townships", "development-zones"],
    15: ["development-reform", "transport", "kemen-development-zone"],
    19: ["human-resources-social-security", "civil-affairs", "healthcare-security"],
}


def links(db, number):
    return db.execute(
        "select unit_id, position, text, designation, lead from measure_units where measure_number = ? order by position", (number,)
    ).fetchall()


def test_the_county_prefix_applies_to_county_units_only(db):
    for number, expected in EXPECTED_LISTS.items():
        assert [link["unit_id"] for link in links(db, number)] == expected


def test_links_keep_the_text_as_written_and_the_position(db):
    rows = links(db, 2)
    assert [(r["position"], r["text"], r["lead"]) for r in rows] == [
        (1, "縣人社局", 1),
        (2, "發改局(科技局)", 0),
        (3, "教育局", 0),
        (4, "住建局", 0),
        (5, "各鄉(鎮)政府", 0),
        (6, "各開發區管委會", 0),
    ]


def test_the_development_and_reform_bureau_is_one_unit_with_designations_on_the_links(db):
    designated = db.execute(
        "select measure_number, designation from measure_units where unit_id = 'development-reform' and designation is not null"
    ).fetchall()
    assert sorted(tuple(r) for r in designated) == [(1, "科技局"), (2, "科技局"), (3, "大數據局"), (12, "大數據局")]
    unit = db.execute("select * from units where id = 'development-reform'").fetchone()
    assert [d["name"] for d in orjson.loads(unit["designations"])] == ["科技局", "大數據局"]
    assert (unit["measure_count"], unit["lead_count"]) == (11, 5)
    assert db.execute("select count(*) from units where name like '%科技局%' or name like '%大數據局%'").fetchone()[0] == 0


def test_collective_units_are_units_of_their_own_kind(db):
    kinds = dict(db.execute("select id, kind from units where id in ('townships', 'development-zones', 'kemen-development-zone')"))
    assert kinds == {
        "townships": "township_collective",
        "development-zones": "development_zone_collective",
        "kemen-development-zone": "development_zone_committee",
    }


def test_every_listed_unit_is_counted_and_every_unit_is_curated(db):
    total_links = db.execute("select count(*) from measure_units").fetchone()[0]
    assert db.execute("select sum(measure_count) from units").fetchone()[0] == total_links
    assert db.execute("select sum(lead_count) from units").fetchone()[0] == 20
    assert db.execute("select count(*) from units where name_en is null").fetchone()[0] == 0


def test_aliases_include_the_short_name_and_the_full_name(db):
    unit = db.execute("select aliases, aliases_hans from units where id = 'health'").fetchone()
    assert orjson.loads(unit["aliases"]) == ["衛健局", "連江縣衛生健康局"]
    assert orjson.loads(unit["aliases_hans"]) == ["卫健局", "连江县卫生健康局"]
