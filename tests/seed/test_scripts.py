"""Simplified forms, checked by eye once (2026-11-29) and pinned here."""

from __future__ import annotations

UNIT_NAMES_HANS = {
    "administrative-service-center": "县行政服务中心",
    "agriculture-rural-affairs": "县农业农村局",
    "audit": "县审计局",
    "civil-affairs": "县民政局",
    "culture-sports-tourism": "县文体旅局",
    "development-reform": "县发改局",
    "development-zones": "各开发区管委会",
    "ecology-environment": "县生态环境局",
    "education": "县教育局",
    "finance": "县财政局",
    "financial-work-office": "县金融办",
    "forestry": "县林业局",
    "fuzhou-logistics-city-headquarters": "福州现代物流城指挥部",
    "health": "县卫健局",
    "healthcare-security": "县医保局",
    "housing-urban-rural-development": "县住建局",
    "human-resources-social-security": "县人社局",
    "industry-information-technology": "县工信局",
    "kemen-development-zone": "可门管委会",
    "land-development-center": "县土发中心",
    "natural-resources-planning": "县自然资源与规划局",
    "ocean-fisheries": "县海渔局",
    "political-legal-affairs-commission": "县政法委",
    "taiwan-hong-kong-macao-affairs": "县台港澳办",
    "townships": "各乡(镇)政府",
    "transport": "县交通局",
    "water-resources": "县水利局",
}

CHAPTER_TITLES_HANS = [
    "实施创新驱动战略,强化科技引领发展",
    "推进产业转型升级,提升经济发展能级",
    "深化改革扩大开放,迸发发展动力活力",
    "推进城乡融合建设,促进区域协同发展",
    "大力保障改善民生,共享社会发展红利",
]

MEASURE_TITLES_HANS = [
    "加大科技创新投入",
    "加强创新人才培养引进",
    "打造区域特色数字品牌",
    "培育壮大战略性新兴产业",
    "优化升级传统主导产业",
    "提升发展现代服务业",
    "发展总部和平台经济",
    "加快现代特色农业发展",
    "推动文旅产业繁荣发展",
    "打造一流营商环境",
    "创新体制机制改革",
    "改善社会治理与政府服务",
    "扩大全方位开放",
    "加强国家城乡融合发展试验区建设",
    "推进区域枢纽崛起",
    "稳步增加居民收入",
    "提升教育医疗水平",
    "推动养老事业发展",
    "完善社会保障体系",
    "营造宜居城市环境",
]


def test_unit_names_in_simplified(db):
    assert dict(db.execute("select id, name_hans from units")) == UNIT_NAMES_HANS


def test_designations_in_simplified(db):
    rows = db.execute("select distinct designation, designation_hans from measure_units where designation is not null")
    assert dict(rows.fetchall()) == {"科技局": "科技局", "大數據局": "大数据局"}


def test_chapter_and_measure_titles_in_simplified(db):
    assert [r[0] for r in db.execute("select title_hans from chapters order by number")] == CHAPTER_TITLES_HANS
    assert [r[0] for r in db.execute("select title_hans from measures order by number")] == MEASURE_TITLES_HANS


def test_document_fields_in_simplified(db):
    doc = db.execute("select number_hans, title_hans, issuer_hans, adopted_by_hans, recipients_hans from documents").fetchone()
    assert tuple(doc) == (
        "连政综〔2021〕127号",
        "关于坚定不移推动高质量发展的贯彻意见",
        "连江县人民政府",
        "县委十三届十三次全会",
        '["各乡(镇)政府","县直各有关单位","各开发区管委会"]',
    )


def test_every_text_has_a_simplified_twin_of_the_same_length(db):
    for table, columns in {
        "measures": ["title", "body", "text", "responsibility"],
        "documents": ["notice", "preamble", "restored_text"],
    }.items():
        for column in columns:
            for value, hans in db.execute(f"select {column}, {column}_hans from {table}"):
                assert len(hans) == len(value) and hans != value
