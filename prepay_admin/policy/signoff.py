"""The sign-off chain (24§(五), RULES §4, §9): the levels of the multi-level review are profile data,
one mechanism for the annual payment batch and for a monthly pre-settlement.

A chain is an ordered list of departments, each with the wording of its signature. The levels sign
in order; each signs the hash of what it read; nobody signs two levels of one object (maker ≠
checker). Pure: the services read the signatures given and ask here who is next and who may sign.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .departments import DEPARTMENT_CN, Department

# The key a level's signature is stored under (``sign_off.level``): one per department, so that a
# chain changed by a later profile version still reads the signatures given under an earlier one.
LEVEL_NAMES = {
    Department.FUND_SETTLEMENT: "prepared",  # 24§(二): 编制
    Department.FINANCE: "declared",  # 24§(一): 预付资金的申报、拨付、清算和审核
    Department.INTERNAL_AUDIT: "reviewed",  # 24§(四): 监督
    Department.ADMINISTRATION: "administration",  # 24§(五): 确认盖章
    Department.FINANCE_BUREAU: "finance_bureau",  # 24§(五): 确认盖章
}
SIGNING_DEPARTMENTS = tuple(LEVEL_NAMES)


@dataclass(frozen=True)
class Level:
    department: Department
    title: str  # the wording of the signature, e.g. 财务管理部门审核申报

    @property
    def name(self) -> str:
        return LEVEL_NAMES[self.department]


@dataclass(frozen=True)
class Chain:
    """The levels in order. ``problems`` says what a profile's chain may not be."""

    levels: tuple[Level, ...]

    def next(self, signed: Sequence[str]) -> Level | None:
        """The level whose turn it is after the levels ``signed`` (their names, in order); None when all
        have signed, or when what was signed is not this chain's beginning (the profile changed while
        the object was in review: it must be returned and signed again)."""
        if list(signed) != [level.name for level in self.levels[:len(signed)]]:
            return None
        return self.levels[len(signed)] if len(signed) < len(self.levels) else None

    def complete(self, signed: Sequence[str]) -> bool:
        return [level.name for level in self.levels] == list(signed)

    def missing(self, signed: Sequence[str]) -> tuple[str, ...]:
        """The titles of the levels not signed."""
        return tuple(level.title for level in self.levels if level.name not in set(signed))

    def title_of(self, name: str) -> str:
        return next((level.title for level in self.levels if level.name == name), name)

    def is_last(self, level: Level) -> bool:
        return level == self.levels[-1]

    def refusal(self, signed: Sequence[tuple[str, str]], department: Department, username: str,
                person: str) -> tuple[str, str] | None:
        """Why ``username`` (``person``, of ``department``) may not sign the next level now, as
        (message, field), or None. ``signed``: (level name, signer) of the valid signatures, in order."""
        level = self.next([name for name, _ in signed])
        if level is None:
            return ("没有待签的审核环节" if self.complete([n for n, _ in signed])
                    else "审核环节已随政策参数方案变更，须退回后重新签字"), "state"
        if department != level.department:
            return (f"{person}（{DEPARTMENT_CN[department]}）无权执行此操作，"
                    f"“{level.title}”须由{DEPARTMENT_CN[level.department]}办理"), "user"
        for name, signer in signed:
            if signer == username:
                return f"{person} 已在“{self.title_of(name)}”环节签字，同一人不能在两个环节签字", "user"
        return None


BUREAU_DEPARTMENTS = (Department.FUND_SETTLEMENT, Department.FINANCE, Department.INTERNAL_AUDIT)


def chain_problems(levels: Sequence[Level], *, ends_with_confirmation: bool) -> list[str]:
    """What a profile's chain may not be: fewer than two levels (maker ≠ checker), a department twice
    or one that does not sign, not begun by 基金结算部门 (24§(二): it prepares), without 内审 (24§(四):
    the oversight of the payment process); a payment's chain must end with the administration's and
    the finance bureau's confirmation (24§(五), 15§(四)); the bureau's own chain (26§ 第一款) is
    signed inside the bureau, and the finance department, which pays, does not approve it last."""
    found = []
    departments = [level.department for level in levels]
    if Department.INTERNAL_AUDIT not in departments:
        found.append("须有内审部门的环节（24§(四)）")
    if not ends_with_confirmation:
        if any(d not in BUREAU_DEPARTMENTS for d in departments):
            found.append("经办机构自行审核的环节只能由基金结算、财务管理和内审部门签字（26§ 第一款）")
        if departments and departments[-1] == Department.FINANCE:
            found.append("最后一个环节不能是拨付资金的财务管理部门")
    if len(levels) < 2:
        found.append("至少须有两个环节（编制与审核不能是同一人）")
    if len(set(departments)) != len(departments):
        found.append("同一部门不能在两个环节签字")
    if any(d not in SIGNING_DEPARTMENTS for d in departments):
        found.append(f"签字部门只能是 {'、'.join(DEPARTMENT_CN[d] for d in SIGNING_DEPARTMENTS)}")
    if departments and departments[0] != Department.FUND_SETTLEMENT:
        found.append("第一个环节须为基金结算部门编制（24§(二)）")
    if ends_with_confirmation and departments[-2:] != [Department.ADMINISTRATION, Department.FINANCE_BUREAU]:
        found.append("最后两个环节须为医保行政部门和财政部门确认（24§(五)）")
    if any(not level.title.strip() for level in levels):
        found.append("每个环节须有签字用语")
    return found


# The chains every profile version before RULES §4 (turn 3) ran on (and the default of one that does
# not name its own): 经办 → 内审 → 医保行政 → 财政, and 26§ 第一款's bureau-only two.
DEFAULT_BATCH = Chain((
    Level(Department.FUND_SETTLEMENT, "基金结算部门编制提交"),
    Level(Department.INTERNAL_AUDIT, "内审部门审核"),
    Level(Department.ADMINISTRATION, "医保行政部门确认"),
    Level(Department.FINANCE_BUREAU, "财政部门确认"),
))
DEFAULT_BUREAU = Chain((
    Level(Department.FUND_SETTLEMENT, "基金结算部门编制提交"),
    Level(Department.INTERNAL_AUDIT, "内审部门审核通过"),
))


@dataclass(frozen=True)
class SignOffRules:
    batch: Chain  # the annual payment batch, and a pre-settlement of 26§ 第二款 ("as a batch")
    presettlement_bureau: Chain  # 26§ 第一款: the bureau's own levels


DEFAULT_RULES = SignOffRules(DEFAULT_BATCH, DEFAULT_BUREAU)
