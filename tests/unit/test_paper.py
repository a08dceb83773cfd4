"""Issue 30: the bureau's documents on A4, typeset as a government office's (GB/T 9704 where it applies),
with dates in Chinese and articles cited as the texts cite them."""
import io
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm

from agreements.kinds import _packaged
from agreements.typeset import (
    LANDSCAPE_TEXT_WIDTH_MM,
    TEXT_WIDTH_MM,
    TITLE_FONT,
    cite,
    cn_date,
    short_title,
    typeset,
)


@pytest.mark.parametrize("code, words", [
    ("21§(五)", "第二十一条第（五）项"), ("13§", "第十三条"), ("20§(二)1", "第二十条第（二）项第1目"),
    ("10§(一)、12§", "第十条第（一）项、第十二条"), ("冀 二(四)", "冀 二(四)"), (None, ""),
])
def test_30_an_article_is_cited_as_the_texts_cite_it(code, words):
    assert cite(code) == words


def test_30_dates_read_as_chinese_documents_write_them():
    assert cn_date("2026-12-07") == "2026年12月7日" and cn_date("不是日期") == "不是日期"
    assert short_title("南通市定点医药机构医保预付金实施细则（试行）") == "实施细则"


PACKAGED = sorted(p.stem for p in (Path(__file__).parents[2] / "agreements" / "templates").glob("*.docx"))


@pytest.mark.parametrize("kind", PACKAGED)
def test_30_every_packaged_template_is_a4_with_the_standards_margins_and_fonts(kind):
    template = _packaged(kind)
    doc = Document(io.BytesIO(template))
    section = doc.sections[0]
    portrait = section.page_width < section.page_height
    assert {round(section.page_width.mm), round(section.page_height.mm)} == {210, 297}
    if portrait:  # GB/T 9704: 版心 156 mm × 225 mm
        assert (round(section.top_margin.mm), round(section.bottom_margin.mm), round(section.left_margin.mm),
                round(section.right_margin.mm)) == (37, 35, 28, 26)
    assert doc.paragraphs[0].runs[0].font.name == TITLE_FONT
    width = Mm(TEXT_WIDTH_MM if portrait else LANDSCAPE_TEXT_WIDTH_MM)
    for table in doc.tables:
        assert sum(column.width for column in table.columns) <= width + Mm(1)
    again = Document(io.BytesIO(typeset(template)))  # typesetting again changes nothing that shows
    assert [[c.width for c in t.columns] for t in again.tables] == [[c.width for c in t.columns] for t in doc.tables]
    assert [p.text for p in again.paragraphs] == [p.text for p in doc.paragraphs]
    text = "".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "§" not in text.replace("|cite", "")  # no shorthand left in the static text
