"""Issue 30: the A4 documents, rendered to PDF by LibreOffice as a clerk's machine would print them, are
A4 pages and break no amount, code or date across lines. LibreOffice is required under CI=true."""
import os
import re

import pytest

from agreements import pdf
from prepay_admin.app import create_app
from prepay_admin.migrate import upgrade
from prepay_admin.policy.facts import Fund
from prepay_admin.services import documents
from prepay_admin.services.demo import load_demo

A4 = {(595, 842), (842, 595)}  # points, portrait or landscape
BROKEN = re.compile(r"\d[\d,]*[,.]\s*\n\s*\d|[HP]\d{3,}\s*\n\s*\d|\d{4}-\d\d-\s*\n|\d{4}年\s*\n\s*\d")


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    if pdf.converter() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("LibreOffice not installed (CI=true: the printed documents must be tested)", pytrace=False)
        pytest.skip("LibreOffice not installed")
    url = f"sqlite:///{tmp_path_factory.mktemp('paper') / 'paper.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=16, seed=2026, year=2026, discharges=True)  # its deposit findings too
    yield sessions
    app.extensions["prepay_engine"].dispose()


def _paid_code(sessions) -> str:
    from sqlalchemy import text

    with sessions() as s:
        return s.execute(text("SELECT institution_code FROM payment_instruction WHERE state = 'paid' "
                              "ORDER BY amount DESC LIMIT 1")).scalar()


@pytest.mark.parametrize("kind, user, extra", [
    ("agreement", "jiesuan1", {}), ("determination_notice", "jiesuan1", {}), ("application_form", "jiesuan1", {}),
    ("public_list", "jiesuan1", None), ("statement", "caiwu1", {"fund": Fund.EMPLOYEE}),
])
def test_30_a_document_prints_on_a4_with_no_number_broken_across_lines(played, kind, user, extra):
    from pypdf import PdfReader

    code = _paid_code(played)
    named = {} if extra is None else {"institution": code, **extra}
    issued = documents.issue(played, kind, "320600", user, year=2026, **named)
    printed = pdf.to_pdf(issued.data)
    import io

    reader = PdfReader(io.BytesIO(printed))
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes <= A4, sizes
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not BROKEN.findall(text), BROKEN.findall(text)[:5]
    assert "§" not in text  # articles in words: 第二十一条第（五）项
    if kind != "statement":
        assert re.search(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", text)  # dates in Chinese


@pytest.mark.parametrize("kind, kinds", [("deposit_rectification", "RECTIFY"), ("deposit_recompute", "TRIGGERS"),
                                         ("deposit_reference", "RECTIFY"), ("deposit_quarterly", None)])
def test_31_a_deposit_notice_prints_on_a4_with_no_number_broken_across_lines(played, kind, kinds):
    import io

    from pypdf import PdfReader

    from prepay_admin.policy import deposit
    from prepay_admin.queries.deposit import hospitals_to_notify

    codes = hospitals_to_notify(played, "320600", 2026, getattr(deposit, kinds or "RECTIFY"), only_new=False)
    assert codes, "the demo's tables give findings of every kind"
    named = {"institution": codes[0]} if kinds else {}
    issued = documents.issue(played, kind, "320600", "jiesuan1", year=2026, **named)
    reader = PdfReader(io.BytesIO(pdf.to_pdf(issued.data)))
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes <= A4, sizes
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not BROKEN.findall(text), BROKEN.findall(text)[:5]
    assert re.search(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", text)
