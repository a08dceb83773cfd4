"""Identifiers staff type or export: the national institution code, and the unified social credit
code with its check character (GB 32100-2015)."""
from __future__ import annotations

import re

INSTITUTION_CODE = re.compile(r"[HP][0-9]{11}")  # 定点医药机构编码: H (medical) or P (pharmacy) and 11 digits
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def institution_code_problem(code: str) -> str | None:
    if not INSTITUTION_CODE.fullmatch(code):
        return "机构编码须为 H 或 P 加 11 位数字"
    return None


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015 §4.2: the 18th character from the first 17, modulo 31."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code (None: it is one)."""
    if len(code) != 18:
        return "统一社会信用代码须为 18 位"
    if any(c not in USCC_CHARSET for c in code):
        return "统一社会信用代码只能由数字和大写字母（不含 I、O、Z、S、V）组成"
    if not code[2:8].isdigit():
        return "统一社会信用代码第 3—8 位须为登记管理机关行政区划码"
    if uscc_check_character(code[:17]) != code[17]:
        return f"统一社会信用代码校验码错误（应为 {uscc_check_character(code[:17])}）"
    return None


BANK_ACCOUNT_DIGITS = (8, 32)


def bank_account_problem(account: str) -> str | None:
    """Why ``account`` (spaces already removed) is no bank account number, or None: 8–32 ASCII digits, the
    one rule for an institution's account on import and the bureau's own on the console."""
    low, high = BANK_ACCOUNT_DIGITS
    if not (account.isascii() and account.isdigit() and low <= len(account) <= high):
        return f"银行账号须为 {low}—{high} 位数字"
    return None
