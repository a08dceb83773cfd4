"""Loading a profile: decoding and parsing its TOML text (errors by line and column), validating it whole
through the schema, applying a year's overrides (14§) and validating again; the packaged files."""
from __future__ import annotations

import copy
import json
import re
import tomllib
from dataclasses import replace
from importlib import resources
from typing import Any, Iterable

from marshmallow import ValidationError, fields

from ..policy.profile import (
    PolicyProfile,
)
from ..validation import (
    pointer_errors,
)
from .schema import DEFAULT_PROFILE, Override, ProfileError, _ProfileSchema

PROFILE_BYTES_MAX = 256 * 1024  # a profile is a page of parameters; anything larger is not one


def packaged_texts() -> dict[str, str]:
    """The profiles shipped with the software (``*.toml`` beside this file), by name: registered in
    the database at ``db upgrade`` through the same path as a bureau's own (``services.profiles``)."""
    return {p.name.removesuffix(".toml"): p.read_text(encoding="utf-8")
            for p in sorted(resources.files(__package__).iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")}


def load_profile(name: str = DEFAULT_PROFILE, overrides: Iterable[Override] = ()) -> PolicyProfile:
    """A packaged profile as shipped, validated (tests and the what-if of a file use it; a region's
    year is resolved from the stored versions by ``services.rules.effective_profile``)."""
    texts = packaged_texts()
    if name not in texts:
        raise ProfileError(name, [("/", f"没有名为 {name} 的政策参数方案（可选：{'、'.join(sorted(texts))}）")])
    return profile_from_text(texts[name], overrides)


def decode_profile(data: bytes, label: str = "?") -> str:
    """A profile file's bytes as text: UTF-8 (a BOM is allowed), at most ``PROFILE_BYTES_MAX``."""
    if len(data) > PROFILE_BYTES_MAX:
        raise ProfileError(label, [("/", f"文件过大（{len(data)} 字节），政策参数方案不超过 {PROFILE_BYTES_MAX} 字节")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ProfileError(label, [("/", f"文件须为 UTF-8 编码（第 {err.start + 1} 个字节无法解码）")]) from None


def draft_profile(data: bytes, label: str = "?") -> PolicyProfile:
    """A profile file staff are still writing, validated as a stored one would be but not stored: to try
    their rules on their data (``compute --profile FILE.toml``) or compare them (``policy diff``)."""
    return profile_from_text(decode_profile(data, label))


_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


def parse_toml(text: str, label: str = "?") -> dict[str, Any]:
    """TOML to data; a syntax error names its line and column in Chinese (TOML stops at the first)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_WHERE.search(str(err))
        where = "文件末尾" if found and found.group(1) is None else (
            f"第 {found.group(1)} 行第 {found.group(2)} 列" if found else "")
        raise ProfileError(label, [("/", f"TOML 语法错误（{where}）：{_TOML_WHERE.sub('', str(err)).strip()}")]) from None


def profile_from_text(text: str, overrides: Iterable[Override] = ()) -> PolicyProfile:
    """Read, override and validate a profile's text; raise ``ProfileError`` naming every bad parameter.

    Validating a profile costs milliseconds and every use case resolves its year's rules, so the
    result is kept per text and overrides: the same text with the same overrides is the same frozen
    profile. A bad one is never kept."""
    overrides = tuple(overrides)
    key = (text, tuple((o.path, json.dumps(o.value, sort_keys=True, ensure_ascii=False), o.approval_ref)
                       for o in overrides))
    found = _VALIDATED.get(key)
    if found is None:
        found = profile_from_data(parse_toml(text), overrides)
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = found
    return found


_VALIDATED: dict[tuple[str, tuple[tuple[str, str, str], ...]], PolicyProfile] = {}  # (text, overrides) → the profile they make
_VALIDATED_MAX = 256


def profile_from_data(raw: dict[str, Any], overrides: Iterable[Override] = ()) -> PolicyProfile:
    name = str(raw.get("name", "?"))
    overrides = tuple(overrides)
    data = copy.deepcopy(raw)
    problems = []
    for o in overrides:
        problem = _apply(data, o)
        if problem:
            problems.append((o.path, problem))
    if problems:
        raise ProfileError(name, problems)
    try:
        profile: PolicyProfile = _ProfileSchema().load(data)
    except ValidationError as err:
        raise ProfileError(name, [(p.lstrip("/").replace("/", "."), m) for p, m in pointer_errors(err.messages)]) from None
    if overrides:
        applied = tuple(f"{o.path}={json.dumps(o.value, ensure_ascii=False)}（批准文号：{o.approval_ref}）" for o in overrides)
        profile = replace(profile, overrides=applied)
    return profile


# 14§ lets the province change conditions and scale for a year; who reviews a payment is governance
# (24§, RULES §4): changed only by a new version of the profile, never by a year's override of its
# own signers, and never under a batch already in review.
NOT_OVERRIDABLE = {"signoff": "审核环节不能通过年度调整修改（14§ 调整的是预付条件和规模），须新增政策参数方案版本"}


def _apply(data: dict[str, Any], override: Override) -> str | None:
    """Set ``section.parameter`` in ``data``; a path the schema does not know is refused."""
    parts = override.path.split(".")
    if len(parts) != 2:
        return "参数路径须为“节.参数”，如 amount.minimum"
    section, key = parts
    if section in NOT_OVERRIDABLE:
        return NOT_OVERRIDABLE[section]
    schema_field = _ProfileSchema().fields.get(section)
    if not isinstance(schema_field, fields.Nested) or key not in schema_field.schema.fields:
        return "没有这个参数"
    if not override.approval_ref.strip():
        return "调整参数须记录批准文号（14§）"
    data.setdefault(section, {})[key] = override.value
    return None
