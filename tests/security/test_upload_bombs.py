"""Issue 28 finding 8: an uploaded package that would cost the server more than its size says is refused
with a message, before anything inflates or parses it; never a 500."""
import io
import zipfile

import pytest
from docx import Document

from agreements.package import MAX_INFLATED, PackageProblem, check_package
from agreements.rendering import TemplateProblem, variables
from prepay_admin.intake.reading import FileProblem, rows


def good_docx() -> bytes:
    out = io.BytesIO()
    document = Document()
    document.add_paragraph("{{ institution.name }}")
    document.save(out)
    return out.getvalue()


def rebuilt(data: bytes, *, drop: str | None = None, add: dict[str, bytes] | None = None,
            replace: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == drop:
                continue
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def test_28_a_package_inflating_beyond_the_limit_is_refused_unread():
    bomb = rebuilt(good_docx(), add={"word/media/zeros.bin": b"\0" * (MAX_INFLATED + 1)})
    assert len(bomb) < 1024 * 1024  # a small file ...
    with pytest.raises(PackageProblem, match="MiB"):
        check_package(bomb)  # ... refused from its directory alone
    with pytest.raises(TemplateProblem):
        variables(bomb)


def test_28_a_part_compressed_beyond_any_document_is_refused():
    with pytest.raises(PackageProblem, match="压缩比"):
        check_package(rebuilt(good_docx(), add={"word/media/zeros.bin": b"\0" * (8 * 1024 * 1024)}))


def test_28_a_package_without_its_content_types_is_refused():
    with pytest.raises(TemplateProblem, match="Content_Types"):
        variables(rebuilt(good_docx(), drop="[Content_Types].xml"))


def test_28_a_billion_laughs_document_is_refused_before_it_is_parsed():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document>&lol2;</w:document>')
    with pytest.raises(TemplateProblem, match="DTD"):
        variables(rebuilt(good_docx(), replace={"word/document.xml": laughs}))


def test_28_an_xlsx_bomb_is_a_file_problem_of_the_import_not_a_crash():
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    bomb = rebuilt(out.getvalue(), add={"xl/media/zeros.bin": b"\0" * (MAX_INFLATED + 1)})
    with pytest.raises(FileProblem, match="MiB"):
        list(rows(io.BytesIO(bomb)))


def test_28_an_ordinary_template_still_opens():
    assert variables(good_docx()) == {"institution"}
