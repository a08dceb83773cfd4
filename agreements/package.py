"""An uploaded Office package (.docx, .xlsx) checked before anything parses it (issue 28 finding 8).

A .docx of 297 KB inflated to 256 MiB, an .xlsx of 1.5 MB to 512 MiB, and a document with an entity
expansion (billion laughs) each cost the server its memory or answered 500. Here only the zip's central
directory is read (nothing inflated): the entries are counted, their declared sizes summed (Python's
zipfile never inflates an entry beyond its declared size), a very high compression ratio refused, the
package's ``[Content_Types].xml`` required, and an XML part that declares a DTD (where entities live)
refused after reading only its first bytes. Each refusal says what, in Chinese.
"""
from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

MAX_ENTRIES = 2_000
MAX_INFLATED = 128 * 1024 * 1024  # a bureau's template or a year's import fits in far less
MAX_RATIO = 150  # text compresses ~10×; a part inflating 150 times its size is a bomb
RATIO_FROM = 1024 * 1024  # the ratio is asked of parts that inflate beyond 1 MiB
HEAD = 64 * 1024  # a DTD sits at a part's start


class PackageProblem(ValueError):
    pass


def check_package(source: bytes | BinaryIO, max_inflated: int = MAX_INFLATED) -> None:
    """Refuse a package that would cost more to open than its size says; the stream is left at its start."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(stream) as package:
            infos = package.infolist()
            if len(infos) > MAX_ENTRIES:
                raise PackageProblem(f"文件包含 {len(infos)} 个部件，超过 {MAX_ENTRIES} 个")
            total = sum(i.file_size for i in infos)
            if total > max_inflated:
                raise PackageProblem(f"文件解压后 {total // (1024 * 1024)} MiB，超过 {max_inflated // (1024 * 1024)} MiB")
            for info in infos:
                if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise PackageProblem(f"文件部件 {info.filename} 的压缩比异常（疑似压缩炸弹）")
            if "[Content_Types].xml" not in {i.filename for i in infos}:
                raise PackageProblem("文件缺少 [Content_Types].xml，不是有效的 Office 文档")
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with package.open(info) as part:
                        head = part.read(HEAD)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise PackageProblem(f"文件部件 {info.filename} 声明了 DTD 或实体，不予读取")
    except zipfile.BadZipFile:
        raise PackageProblem("文件已损坏或不是 Office 文档") from None
    finally:
        if not isinstance(source, bytes):
            source.seek(0)
