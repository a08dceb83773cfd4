"""The documents' templates and their data contracts (no database)."""
from agreements.kinds import KINDS
from agreements.rendering import TemplateProblem, render, variables


def test_every_packaged_template_asks_only_for_what_its_document_provides():
    for kind in KINDS.values():
        assert variables(kind.packaged_template()) <= kind.provides, kind.name


def test_a_file_that_is_not_a_docx_is_refused_as_a_template():
    import pytest

    with pytest.raises(TemplateProblem):
        variables(b"not a zip")
    with pytest.raises(TemplateProblem):
        render(b"PK\x03\x04 broken", {})
