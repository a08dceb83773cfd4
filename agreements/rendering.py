"""Filling a .docx template: Jinja tags in a document staff edit in Word or WPS (docxtpl on python-docx).

Strict: a variable the data does not hold is an error naming it, never an empty field. Every value is
escaped (a hospital named ``A&B <"C">`` comes out as written). A table row wrapped in ``{%tr for … %}``
repeats once per item. ``variables`` lists what a template asks for, so an edited copy can be checked
before it is used.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from docxtpl import DocxTemplate
from lxml import etree
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, UndefinedError


class TemplateProblem(ValueError):
    """A template that cannot be filled: ``variable`` names what was missing, if that was the problem."""

    def __init__(self, message: str, variable: str | None = None):
        super().__init__(message)
        self.variable = variable


def _environment() -> Environment:
    env = Environment(undefined=StrictUndefined, autoescape=True)
    env.filters["yuan"] = lambda value: f"{value:,.2f}"
    return env


def _template(data: bytes) -> DocxTemplate:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateProblem("模板不是 .docx 文件")
    try:
        return DocxTemplate(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as err:
        raise TemplateProblem(f"模板无法打开：{err}") from None


def render(template: bytes, context: dict[str, Any]) -> bytes:
    """The filled document; a missing variable or a broken tag is a ``TemplateProblem`` naming it."""
    return Compiled(template).render(context)


TAGGED_ELSEWHERE = re.compile(r"^(word/(header|footer|footnotes)\d*\.xml|docProps/core\.xml)$")


class Compiled:
    """A template prepared once and filled many times (a year's agreements in one batch).

    docxtpl prepares the body's XML (joining the runs Word splits a tag into, turning ``{%tr`` into row
    loops) and fixes the tables after rendering; that is done here once, the Jinja template is compiled
    once, and each document is the template's package with only ``word/document.xml`` replaced. A
    template with tags in its headers, footers, footnotes or properties is filled by docxtpl whole.
    """

    def __init__(self, template: bytes):
        self._template = template
        self._doc = _template(template)
        package = zipfile.ZipFile(io.BytesIO(template))
        self._parts = [(info, package.read(info.filename)) for info in package.infolist()
                       if info.filename != "word/document.xml"]
        self._whole = any(TAGGED_ELSEWHERE.match(info.filename) and re.search(rb"\{[{%]", data)
                          for info, data in self._parts)
        if self._whole:
            return
        self._doc.render_init()
        root = etree.tostring(self._doc.docx._element, encoding="unicode")
        start, end = root.index("<w:body"), root.index("</w:body>") + len("</w:body>")
        self._head, self._tail = root[:start], root[end:]
        body = re.sub(r"<w:p([ >])", r"\n<w:p\1", self._doc.patch_xml(self._doc.get_xml()))
        try:
            self._jinja = _environment().from_string(body)
        except TemplateSyntaxError as err:
            raise TemplateProblem(f"模板第 {err.lineno} 行标记有误：{err.message}") from None

    def render(self, context: dict[str, Any]) -> bytes:
        if self._whole:
            return _render_whole(self._template, context)
        try:
            xml = self._jinja.render(context)
        except UndefinedError as err:
            name = _undefined_name(str(err))
            raise TemplateProblem(f"模板使用了数据中没有的变量：{name}", name) from None
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        body = self._doc.fix_tables(self._doc.resolve_listing(xml))
        self._doc.fix_docpr_ids(body)
        document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + self._head
                    + etree.tostring(body, encoding="unicode") + self._tail)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
            for info, data in self._parts:
                package.writestr(info, data)
            package.writestr("word/document.xml", document.encode("utf-8"))
        return out.getvalue()


def _render_whole(template: bytes, context: dict[str, Any]) -> bytes:
    doc = _template(template)
    try:
        doc.render(context, jinja_env=_environment(), autoescape=True)
    except UndefinedError as err:
        name = _undefined_name(str(err))
        raise TemplateProblem(f"模板使用了数据中没有的变量：{name}", name) from None
    except TemplateSyntaxError as err:
        raise TemplateProblem(f"模板第 {err.lineno} 行标记有误：{err.message}") from None
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def variables(template: bytes) -> set[str]:
    """The top-level names a template uses (``institution`` for ``{{ institution.name }}``)."""
    try:
        return set(_template(template).get_undeclared_template_variables(jinja_env=_environment()))
    except TemplateSyntaxError as err:
        raise TemplateProblem(f"模板第 {err.lineno} 行标记有误：{err.message}") from None


def _undefined_name(message: str) -> str:
    """Jinja says ``'x' is undefined`` or ``'dict object' has no attribute 'y'``: the name either way."""
    found = re.findall(r"'([^']+)'", message)
    return found[-1] if found else message
