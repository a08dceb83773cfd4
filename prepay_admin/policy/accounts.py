"""The fund's deposit accounts a payment is made from or money is received into (RULES §7): the one
vocabulary every shell offers, its Chinese names, and the ledger role each posts to."""
from __future__ import annotations

from accounting.chart import Role

# key → the ledger role (the order is the order offered: the expenditure account first, the default)
DEPOSIT_ACCOUNTS: dict[str, Role] = {"expenditure": Role.EXPENDITURE_DEPOSIT, "fiscal": Role.FISCAL_SPECIAL_DEPOSIT}
DEPOSIT_ACCOUNT_CN: dict[str, str] = {"expenditure": "支出户存款", "fiscal": "财政专户存款"}
DEFAULT_DEPOSIT_ACCOUNT = "expenditure"
DEPOSIT_ACCOUNTS_TEXT = " / ".join(f"{key} {DEPOSIT_ACCOUNT_CN[key]}" for key in DEPOSIT_ACCOUNTS)
