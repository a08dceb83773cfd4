"""A PDF beside the .docx, where LibreOffice is installed (``soffice``); where it is not, a clear
message — the .docx is the document, the PDF a convenience."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 120


class PdfUnavailable(RuntimeError):
    """No PDF could be made; the message says why, in Chinese."""


def converter() -> str | None:
    return next((found for name in SOFFICE if (found := shutil.which(name))), None)


def to_pdf(docx: bytes) -> bytes:
    """The document as PDF, converted by LibreOffice in a private profile (safe to run side by side)."""
    program = converter()
    if program is None:
        raise PdfUnavailable("本机未安装 LibreOffice，无法生成 PDF（.docx 已生成，可用 Word 或 WPS 另存为 PDF）")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "document.docx"
        source.write_bytes(docx)
        try:
            subprocess.run([program, f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to",
                            "pdf", "--outdir", work, str(source)], check=True, capture_output=True,
                           timeout=TIMEOUT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
            raise PdfUnavailable(f"LibreOffice 转换 PDF 失败：{err}") from None
        result = Path(work) / "document.pdf"
        if not result.exists():
            raise PdfUnavailable("LibreOffice 未生成 PDF")
        return result.read_bytes()
