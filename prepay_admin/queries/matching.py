"""Matching what staff type against stored text: one LIKE rule for every search of the read side."""
from __future__ import annotations


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own wildcards taken literally (escape ``\\``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
