"""Paper that prints (issue 30): the bureau's documents on A4, typeset as a government office's documents
are (GB/T 9704-2012 where it applies), dates in Chinese and articles cited as the texts cite them.

The formatting filters (``cn_date``, ``cite``, ``short_title``) are pure and offered to every template,
a region's own included. ``typeset`` lays a packaged template out: A4 with the standard's margins (版心
156 mm × 225 mm), a 小标宋 title, a 仿宋 body, tables in 五号 with amounts right-aligned and numbers,
codes and dates never broken across lines, dates through ``cn_date`` and static article references
in words. ``python -m agreements.typeset`` applies it to the packaged templates again after an edit.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

BODY_FONT = "仿宋"  # 仿宋_GB2312 on older Windows; WPS and Word map it
TITLE_FONT = "方正小标宋简体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
MARGINS = {"top_margin": Mm(37), "bottom_margin": Mm(35), "left_margin": Mm(28), "right_margin": Mm(26)}
DATE_TAGS = ("issued_on", "signed_on", "published_on", "demanded_on", "due_on", "submitted_on",
             "security.valid_from", "security.valid_until")  # a table's date column stays 2026-01-26: compact
ARTICLE_TAGS = ("r.article", "recovery_article")

_DIGITS = "零一二三四五六七八九"
_ARTICLE = re.compile(r"(\d{1,3})§(?:\(([一二三四五六七八九十]+)\))?(\d{1,2})?")


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (article numbers as the texts write them)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    return _DIGITS[n // 100] + "百" + ("" if rest == 0 else ("零" + _DIGITS[rest] if rest < 10 else
                                                            (_DIGITS[rest // 10] + "十" + (_DIGITS[rest % 10] if rest % 10 else ""))))


def cite(text: Any) -> str:
    """The code's shorthand for an article in the texts' words: 21§(五) → 第二十一条第（五）项, 13§ → 第十三条,
    20§(二)1 → 第二十条第（二）项第1目. Anything else is left as it is."""
    def words(m: re.Match[str]) -> str:
        out = f"第{cn_number(int(m.group(1)))}条"
        if m.group(2):
            out += f"第（{m.group(2)}）项"
        if m.group(3):
            out += f"第{m.group(3)}目"
        return out

    return _ARTICLE.sub(words, "" if text is None else str(text))


def cn_date(value: Any) -> str:
    """2026-12-07 (or a date) → 2026年12月7日; anything that is no date is left as it is."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return "" if value is None else str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def short_title(title: Any) -> str:
    """How a document names the rules it rests on: 《…实施细则（试行）》 → 实施细则, 《…办法》 → 办法."""
    text = "" if title is None else str(title)
    for short in ("实施细则", "管理办法", "办法", "通知"):
        if short in text:
            return short
    return text


FILTERS = {"cn_date": cn_date, "cite": cite, "short_title": short_title}


def _east_asian(run_or_style: Any, font: str, size: Any) -> None:
    run_or_style.font.name = font
    run_or_style.font.size = size
    properties = run_or_style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), font)


def _property(properties: Any, name: str, **attributes: str) -> None:
    """Set ``name`` (e.g. ``w:noWrap``) with ``attributes`` in a cell's or a table's properties, once."""
    element = properties.find(qn(name))
    if element is None:
        element = OxmlElement(name)
        properties.append(element)
    for key, value in attributes.items():
        element.set(qn(key), value)


def _tagged(text: str) -> str:
    for tag in DATE_TAGS:
        text = text.replace("{{ %s }}" % tag, "{{ %s|cn_date }}" % tag)
    for tag in ARTICLE_TAGS:
        text = text.replace("{{ %s }}" % tag, "{{ %s|cite }}" % tag)
    # static references: （21§(五)） → （《实施细则》第二十一条第（五）项）
    text = re.sub(r"（(\d{1,3}§[^）]*)）", lambda m: "（《{{ rules_title|short_title }}》" + cite(m.group(1)) + "）", text)
    return text


def _rewrite_runs(paragraph: Any) -> None:
    for run in paragraph.runs:
        if "{{" in run.text or "§" in run.text:
            run.text = _tagged(run.text)


TEXT_WIDTH_MM = 156  # the 版心's width: 210 − 28 − 26
PADDING_MM = 4.0  # a cell's left and right margins (Word's and LibreOffice's default 1.9 mm each)
LANDSCAPE_TEXT_WIDTH_MM = 225  # 297 − 37 − 35: a table too wide for the page turns it (横排表格)
DXA_PER_MM = 56.7
# what each kind of column must hold on one line, in em (a digit is about 0.55 em, a Chinese character 1)
COLUMN_EMS = (
    (("序号",), 2.6),
    (("编码", "凭证号"), 8.6),  # H32060000001, with the fonts a reader's machine substitutes
    (("日期",), 6.8),
    (("元", "金额", "借方", "贷方", "余额", "合计", "基数", "担保限额后", "核定", "取整", "×"), 8.2),  # 99,999,999.99
    (("月数", "比例", "例数"), 3.6),
)
FLEXIBLE_MIN_EM = 5.0  # a name or a text column: wraps, but not narrower than this


def _column_em(header: str) -> float | None:
    """The width a column needs on one line, or None for a column of words that may wrap."""
    for keys, em in COLUMN_EMS:
        if any(k in header for k in keys):
            return em
    return None


def _fits(needs: list[float | None], size: Any, width: float) -> bool:
    em_mm = float(size.pt) * 0.3528
    total = (sum(n * em_mm + PADDING_MM for n in needs if n is not None)
             + sum(FLEXIBLE_MIN_EM * em_mm + PADDING_MM for n in needs if n is None))
    return bool(total <= width)


def _table_size(table: Any) -> tuple[Any, float] | None:
    """The font size and width a table is set in on a portrait page; None if it needs a landscape one."""
    needs = [_column_em(cell.text) for cell in table.rows[0].cells]
    for size in (Pt(10.5), Pt(9)):
        if _fits(needs, size, TEXT_WIDTH_MM):
            return size, TEXT_WIDTH_MM
    return None


def _table(table: Any, width: float) -> None:
    """Columns sized to what they hold, in the 版心's ``width``: numbers, codes and dates on one line (the
    font steps down from 五号 where a wide calculation needs it), words sharing the rest; amounts right."""
    headers = [cell.text for cell in table.rows[0].cells]
    needs = [_column_em(h) for h in headers]
    size = next((s for s in (Pt(10.5), Pt(9), Pt(7.5)) if _fits(needs, s, width)), Pt(7.5))
    em_mm = size.pt * 0.3528
    fixed = sum(n * em_mm + PADDING_MM for n in needs if n is not None)
    share = (width - fixed) / max(1, sum(1 for n in needs if n is None))
    widths = [n * em_mm + PADDING_MM if n is not None else share for n in needs]
    if all(n is not None for n in needs):  # nothing to stretch: spread what is left evenly
        widths = [w + (width - sum(widths)) / len(widths) for w in widths]
    twips = [str(int(w * DXA_PER_MM)) for w in widths]
    _property(table._tbl.tblPr, "w:tblLayout", **{"w:type": "fixed"})
    _property(table._tbl.tblPr, "w:tblW", **{"w:type": "dxa", "w:w": str(sum(int(t) for t in twips))})
    grid = table._tbl.tblGrid
    for column in list(grid):
        grid.remove(column)
    for twip in twips:
        column = OxmlElement("w:gridCol")
        column.set(qn("w:w"), twip)
        grid.append(column)
    for row in table.rows:
        for column, cell in enumerate(row.cells):
            if column >= len(twips):
                continue
            _property(cell._tc.get_or_add_tcPr(), "w:tcW", **{"w:type": "dxa", "w:w": twips[column]})
            numeric = needs[column] is not None and not any(k in headers[column] for k in ("编码", "凭证号", "日期"))
            if needs[column] is not None:
                _property(cell._tc.get_or_add_tcPr(), "w:noWrap")
            for paragraph in cell.paragraphs:
                _rewrite_runs(paragraph)
                if numeric and row._tr is not table.rows[0]._tr:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in paragraph.runs:
                    _east_asian(run, BODY_FONT, size)


def typeset(template: bytes) -> bytes:
    """A packaged template laid out for A4 as described above (idempotent)."""
    doc = Document(io.BytesIO(template))
    landscape = any(_table_size(table) is None for table in doc.tables)
    for section in doc.sections:
        if landscape:  # GB/T 9704 横排表格: the page turns, the 版心 with it
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
            section.top_margin, section.bottom_margin = Mm(28), Mm(26)
            section.left_margin, section.right_margin = Mm(37), Mm(35)
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = Mm(210), Mm(297)
            for name, value in MARGINS.items():
                setattr(section, name, value)
    _east_asian(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    for n, paragraph in enumerate(doc.paragraphs):
        _rewrite_runs(paragraph)
        for run in paragraph.runs:
            if n == 0:  # the document's title
                _east_asian(run, TITLE_FONT, TITLE_SIZE)
                run.font.bold = False
            elif run.font.size and run.font.size > BODY_SIZE:
                run.font.size = BODY_SIZE
        if n == 0:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for table in doc.tables:
        _table(table, LANDSCAPE_TEXT_WIDTH_MM if landscape else TEXT_WIDTH_MM)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    folder = Path(__file__).parent / "templates"
    for path in sorted(folder.glob("*.docx")):
        path.write_bytes(typeset(path.read_bytes()))
        print(f"typeset {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
