"""Filling a .docx template: Jinja tags in a document staff edit in Word or WPS (docxtpl on python-docx).

Strict: a variable the data does not hold is an error naming it, never an empty field. Every value is
escaped (a hospital named ``A&B <"C">`` comes out as written). A region uploads its own templates, so a
template is hostile until checked (issue 28): ``variables`` refuses any expression that is not plain
data, and every template renders in Jinja's immutable sandbox with no globals and formatting filters
only, so even one stored before that check cannot reach the server. A table row wrapped in ``{%tr for … %}``
repeats once per item. ``variables`` lists what a template asks for, so an edited copy can be checked
before it is used.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from .package import PackageProblem, check_package
from .typeset import FILTERS, cite


class TemplateProblem(ValueError):
    """A template that cannot be filled: ``variable`` names what was missing, if that was the problem."""

    def __init__(self, message: str, variable: str | None = None):
        super().__init__(message)
        self.variable = variable


# the filters a template may use: formatting only (no call reaches an object's methods)
ALLOWED_FILTERS = frozenset({"yuan", "e", "escape", "default", "d", "length", "count", "first", "last", "join",
                             "upper", "lower", "trim", "replace", "round", "int", "string", "truncate", "center",
                             "format", "sum", "sort", "list",
                             "cn_date", "cite", "short_title"})  # not "safe": every value stays escaped
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "number", "string", "sameas", "eq", "ne", "lt", "le",
                           "gt", "ge", "odd", "even", "divisibleby", "in"})
# statements of a document template: output, conditions and loops over the document's own data
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Getattr,
                 nodes.Getitem, nodes.Filter, nodes.Test, nodes.For, nodes.If, nodes.Compare, nodes.Operand,
                 nodes.And, nodes.Or, nodes.Not, nodes.CondExpr, nodes.Concat, nodes.Add, nodes.Sub, nodes.Mul,
                 nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Neg, nodes.Pos, nodes.Tuple, nodes.List, nodes.Slice,
                 nodes.Keyword)


def _environment() -> ImmutableSandboxedEnvironment:
    """Issue 28: every template, packaged or a region's own, renders in Jinja's immutable sandbox with no
    globals (no ``range``, ``lipsum``, ``cycler``, ``joiner``, ``namespace``, ``dict``) and only the
    formatting filters: an attribute starting with ``_``, an unsafe call or a mutation is a SecurityError."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    env.globals.clear()
    env.filters = {name: f for name, f in env.filters.items() if name in ALLOWED_FILTERS}
    env.filters["yuan"] = lambda value: f"{value:,.2f}"
    env.filters.update(FILTERS)  # issue 30: 2026年12月7日, 第二十一条第（五）项, 实施细则
    env.tests = {name: t for name, t in env.tests.items() if name in ALLOWED_TESTS}
    return env


def unsafe_expressions(source: str, env: Environment) -> list[str]:
    """What in a template's Jinja source is not a plain variable, attribute, filter, test, condition or
    loop over the document's own data: calls, attributes or keys starting with ``_``, filters and tests
    outside the lists, ``set``, ``macro``, ``import``, ``include`` and the like. Each named as written."""
    found: list[str] = []

    def say(node: nodes.Node, what: str) -> None:
        found.append(f"第 {node.lineno} 行：{what}")

    def walk(node: nodes.Node) -> None:
        if isinstance(node, nodes.Call):
            say(node, "不允许调用函数或方法（…()）")
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            say(node, f"不允许访问以下划线开头的属性 {node.attr}")
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            say(node, f"不允许访问以下划线开头的键 {node.arg.value}")
        elif isinstance(node, nodes.Getitem) and not isinstance(node.arg, (nodes.Const, nodes.Name, nodes.Slice)):
            say(node, "下标只能是常量或变量")
        elif isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            say(node, f"不允许的过滤器 {node.name}")
        elif isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            say(node, f"不允许的判断 {node.name}")
        elif not isinstance(node, ALLOWED_NODES):
            say(node, f"不允许的模板语句 {type(node).__name__}")
        for child in node.iter_child_nodes():
            walk(child)

    walk(env.parse(source))
    return found



def _template(data: bytes) -> DocxTemplate:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateProblem("模板不是 .docx 文件")
    try:
        check_package(data)  # issue 28: sizes, parts and DTDs checked before anything is inflated
    except PackageProblem as err:
        raise TemplateProblem(f"模板无法使用：{err}") from None
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
        context = in_words(context)
        if self._whole:
            return _render_whole(self._template, context)
        try:
            xml = self._jinja.render(context)
        except SecurityError as err:
            raise TemplateProblem(f"模板使用了不允许的表达式：{err}") from None
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


def in_words(value: Any) -> Any:
    """The document's data with the code's article shorthand in the texts' words (21§(五) → 第二十一条第（五）项,
    issue 30): a reason or a method's wording reads as the document cites its rules."""
    if isinstance(value, str):
        return cite(value) if "§" in value else value
    if isinstance(value, dict):
        return {key: in_words(item) for key, item in value.items()}
    if isinstance(value, list):
        return [in_words(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(in_words(item) for item in value)
    return value


def _render_whole(template: bytes, context: dict[str, Any]) -> bytes:
    doc = _template(template)
    try:
        doc.render(context, jinja_env=_environment(), autoescape=True)
    except SecurityError as err:
        raise TemplateProblem(f"模板使用了不允许的表达式：{err}") from None
    except UndefinedError as err:
        name = _undefined_name(str(err))
        raise TemplateProblem(f"模板使用了数据中没有的变量：{name}", name) from None
    except TemplateSyntaxError as err:
        raise TemplateProblem(f"模板第 {err.lineno} 行标记有误：{err.message}") from None
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def variables(template: bytes) -> set[str]:
    """The top-level names a template uses (``institution`` for ``{{ institution.name }}``). A template
    with any expression that is not plain data (issue 28: calls, ``_`` attributes, globals, ``set``,
    ``import``…) is refused, each one named."""
    doc = _template(template)
    env = _environment()
    try:
        found = set(doc.get_undeclared_template_variables(jinja_env=env))
        unsafe = []
        for source in _sources(doc, template):
            unsafe += unsafe_expressions(source, env)
    except TemplateSyntaxError as err:
        raise TemplateProblem(_syntax(err)) from None
    if unsafe:
        raise TemplateProblem("模板只能使用文书提供的变量、过滤器、条件和循环，不允许：" + "；".join(unsafe[:10]))
    return found


def _syntax(err: TemplateSyntaxError) -> str:
    """A broken tag, or a filter or test outside the lists (which the sandbox does not know), in Chinese."""
    unknown = re.match(r"No (filter|test) named '([^']+)'", err.message or "")
    if unknown:
        what = "过滤器" if unknown.group(1) == "filter" else "判断"
        return f"模板第 {err.lineno} 行：不允许的{what} {unknown.group(2)}（只能使用文书提供的变量、过滤器、条件和循环）"
    return f"模板第 {err.lineno} 行标记有误：{err.message}"


def _sources(doc: DocxTemplate, template: bytes) -> list[str]:
    """Every Jinja source the document renders: the body as docxtpl prepares it, and the tagged parts."""
    doc.render_init()
    sources = [doc.patch_xml(doc.get_xml())]
    package = zipfile.ZipFile(io.BytesIO(template))
    for info in package.infolist():
        if TAGGED_ELSEWHERE.match(info.filename):
            data = package.read(info.filename)
            if re.search(rb"\{[{%]", data):
                sources.append(doc.patch_xml(data.decode("utf-8", "replace")))
    return sources


def _undefined_name(message: str) -> str:
    """Jinja says ``'x' is undefined`` or ``'dict object' has no attribute 'y'``: the name either way."""
    found = re.findall(r"'([^']+)'", message)
    return found[-1] if found else message
