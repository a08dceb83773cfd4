"""The chart of accounts: the roles the templates post to, with codes from data.

Codes differ between regions (and the 2026 supplement to 社会保险基金会计制度
adds prepayment accounts), so a chart maps each role to a code and a name that
the caller loads from its configuration; only the roles are fixed here.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping


class Role(StrEnum):
    INCOME_DEPOSIT = "income_deposit"  # 收入户存款
    EXPENDITURE_DEPOSIT = "expenditure_deposit"  # 支出户存款
    FISCAL_SPECIAL_DEPOSIT = "fiscal_special_deposit"  # 财政专户存款
    ADVANCE = "advance"  # 暂付款—医保预付金 (sub-ledger per institution): annual advances only
    PRESETTLEMENT = "presettlement"  # 暂付款—月度预结金 (sub-ledger per institution): 26§ pre-settlements
    OVERPAID = "overpaid"  # 暂收款—预付金多缴: legacy (held settlements before RULES §7 turn 3), kept for history
    FUNDING = "funding"  # 预付款项资金往来: what the fund's main accounts allotted to pay out of this book
    BENEFIT_EXPENSE = "benefit_expense"  # 社会保险待遇支出
    OTHER_EXPENSE = "other_expense"  # 其他支出
    OTHER_INCOME = "other_income"  # 其他收入: recovered after a write-off of an earlier year


# Roles only books opened before their replacement have: never posted to again, never required of a chart.
LEGACY_ROLES = frozenset({Role.OVERPAID})
# Roles every chart must map to a code: every role a posting template uses.
REQUIRED_ROLES = tuple(role for role in Role if role not in LEGACY_ROLES)


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


NORMAL_SIDE: Mapping[Role, Side] = {role: Side.DEBIT for role in Role} | {
    role: Side.CREDIT for role in (Role.OVERPAID, Role.FUNDING, Role.OTHER_INCOME)}

# Accounts kept per institution (往来明细): every line on them names the institution.
PARTY_ROLES = frozenset({Role.ADVANCE, Role.PRESETTLEMENT, Role.OVERPAID})

# 21§(一): the debit balance of these is what an institution holds or owes; it never goes below zero.
NON_NEGATIVE_ROLES = frozenset({Role.ADVANCE, Role.PRESETTLEMENT})

# RULES §7 (turn 3): the book's assets; none of them may run a credit balance (what a deposit pays out
# is funded first, see ``templates.funded``).
ASSET_ROLES = frozenset({Role.INCOME_DEPOSIT, Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT,
                         Role.ADVANCE, Role.PRESETTLEMENT})
# 暂付款: what institutions hold of the fund, per detail account
HELD_ROLES = (Role.ADVANCE, Role.PRESETTLEMENT)


@dataclass(frozen=True)
class AccountSpec:
    role: Role
    code: str
    name: str

    @property
    def normal_side(self) -> Side:
        return NORMAL_SIDE[self.role]


@dataclass(frozen=True)
class Chart:
    accounts: tuple[AccountSpec, ...]

    def __post_init__(self) -> None:
        roles = [a.role for a in self.accounts]
        missing = sorted(set(REQUIRED_ROLES) - set(roles))
        if missing:
            raise ValueError(f"科目表缺少科目：{missing}")
        if len(set(roles)) != len(roles):
            raise ValueError("科目表中有重复的科目用途")
        codes = [a.code for a in self.accounts]
        if len(set(codes)) != len(codes):
            raise ValueError("科目表中有重复的科目代码")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, tuple[str, str]]) -> "Chart":
        """``{role: (code, name)}``, e.g. from a policy profile's ``[accounts]``."""
        return cls(tuple(AccountSpec(Role(role), code, name) for role, (code, name) in mapping.items()))

    def spec(self, role: Role) -> AccountSpec:
        return next(a for a in self.accounts if a.role == role)
