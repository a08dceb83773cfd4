"""A profile as a flat list of parameters, and what differs between two profiles.

Staff compare two rule sets parameter by parameter (``policy diff``, the profile screens): each
parameter is a dotted path as the profile file spells it (``amount.minimum``, ``accounts.advance``,
``funds.min_payable_months.employee``) with its value written as in the file. Pure: it reads the frozen
``PolicyProfile`` only.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Mapping

from .profile import Account, MonthDay, PolicyProfile, ScoreBand

# the sections of a profile file, as staff read them on screen
SECTION_CN = {
    "name": "方案名称", "version": "版本", "title": "标题", "source": "依据文件",
    "funds": "基金支付能力（9§）", "eligibility": "预付条件（7§、10§、21§(六)）", "amount": "预付金额（12§、13§）",
    "calendar": "年度时间（11§、15§、16§）", "year_end": "年终清算与收回（17§、20§）",
    "presettlement": "月度预结（25§、26§）", "accounts": "会计科目（21§）", "articles": "理由条款出处",
    "own_defaults": "方案默认（原文未规定）", "overrides": "年度调整（14§）",
}


@dataclass(frozen=True)
class Difference:
    path: str
    left: str | None  # None: the parameter is not in the left profile
    right: str | None


def parameters(profile: PolicyProfile) -> dict[str, str]:
    """Every parameter of ``profile`` by dotted path, in the file's order, its value as written there."""
    flat: dict[str, str] = {}
    for f in dataclasses.fields(profile):
        value = getattr(profile, f.name)
        if f.name == "citations":  # every reason's citation, the profile's own defaults said so
            for code in sorted(set(value.articles) | value.own_defaults):
                flat[f"articles.{code}"] = value.article(code)
            if value.own_defaults:
                flat["own_defaults.reasons"] = _written(sorted(value.own_defaults))
                flat["own_defaults.note"] = value.own_default_note
        elif f.name == "overrides":
            for i, line in enumerate(value, 1):
                flat[f"overrides.{i}"] = line
        else:
            _flatten(f.name, value, flat)
    return flat


def differences(left: Mapping[str, str], right: Mapping[str, str]) -> list[Difference]:
    """Every parameter whose value differs, or that only one side has, in the left side's order."""
    paths = list(left) + [p for p in right if p not in left]
    return [Difference(p, left.get(p), right.get(p)) for p in paths if left.get(p) != right.get(p)]


def _flatten(path: str, value: Any, flat: dict[str, str]) -> None:
    if isinstance(value, Account):
        flat[path] = f"{value.code} {value.name}"
    elif dataclasses.is_dataclass(value) and not isinstance(value, MonthDay):
        for f in dataclasses.fields(value):
            _flatten(f"{path}.{f.name}", getattr(value, f.name), flat)
    elif isinstance(value, Mapping):
        for key in sorted(value, key=_written):
            _flatten(f"{path}.{_written(key)}", value[key], flat)
    else:
        flat[path] = _written(value)


def _written(value: Any) -> str:
    """A value as the profile file writes it (decimals without trailing zeros, sets sorted)."""
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, MonthDay):
        when = {-1: "上年", 0: "当年", 1: "次年"}[value.year_offset]
        return f"{when} {value.month} 月 {value.day} 日"
    if isinstance(value, ScoreBand):
        return f"{_written(value.min_score)} 分起 {_written(value.months)} 个月"
    if isinstance(value, (frozenset, set)):
        return "[" + ", ".join(sorted(_written(v) for v in value)) + "]"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_written(v) for v in value) + "]"
    return str(value)
