"""The documents' templates and their data contracts (no database)."""
from agreements.rendering import TemplateProblem, render, variables
from prepay_admin.services.documents import REGISTRY


def test_every_packaged_template_asks_only_for_what_its_document_provides():
    for kind in (entry.kind for entry in REGISTRY.values()):
        assert variables(kind.packaged_template()) <= kind.provides, kind.name


def test_a_file_that_is_not_a_docx_is_refused_as_a_template():
    import pytest

    with pytest.raises(TemplateProblem):
        variables(b"not a zip")
    with pytest.raises(TemplateProblem):
        render(b"PK\x03\x04 broken", {})


def test_a_template_with_tags_in_its_header_is_filled_whole_and_escaped():
    import io

    from docx import Document

    template = Document()
    template.sections[0].header.paragraphs[0].text = "{{ institution.name }} 专用"
    template.add_paragraph("{{ institution.name }}")
    data = io.BytesIO()
    template.save(data)
    out = Document(io.BytesIO(render(data.getvalue(), {"institution": {"name": "A&B <C>"}})))
    assert out.sections[0].header.paragraphs[0].text == "A&B <C> 专用"
    assert out.paragraphs[0].text == "A&B <C>"
