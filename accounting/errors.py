"""What the ledger says is wrong: ``LedgerError`` when it refuses a request, ``Breach`` when ``ledger
verify`` finds an invariant broken. ``code`` is stable for programs, ``message`` Chinese for people."""
from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        self.code = code
        self.message = message
        self.field = field
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class Breach:
    code: str
    message: str
