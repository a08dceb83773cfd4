"""Matching what staff type against stored text: one LIKE rule for every search of the read side."""
from __future__ import annotations


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own wildcards taken literally (escape ``\\``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def starting(text: str) -> str:
    """A LIKE pattern matching what starts with ``text`` (an index range on a code), wildcards literal."""
    return like(text)[1:]
