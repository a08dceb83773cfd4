"""Why the ledger refused a request. ``code`` is stable for programs, ``message`` Chinese for people."""
from __future__ import annotations


class LedgerError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        self.code = code
        self.message = message
        self.field = field
        super().__init__(f"{code}: {message}")
