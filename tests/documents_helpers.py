"""Reading an issued .docx back as text (paragraphs and table cells), with no template tag left."""
from __future__ import annotations

import io

from docx import Document


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    text = "\n".join([p.text for p in doc.paragraphs] + cells)
    assert "{{" not in text and "{%" not in text and "}}" not in text  # no tag left
    return text
