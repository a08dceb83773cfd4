"""Errors a use case reports to its caller (a route or a CLI command renders them)."""
from __future__ import annotations


class ServiceError(Exception):
    """A refused request: ``field`` names what was wrong, ``message`` says it in Chinese."""

    def __init__(self, message: str, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class NotFound(ServiceError):
    pass


class Busy(ServiceError):
    """A lock was held past its timeout: nothing was written, the request may be retried."""

    def __init__(self) -> None:
        super().__init__("数据库繁忙，请稍后重试", None)


class Refused(ServiceError):
    """An input refused whole, nothing written: ``problems`` are every (where, message) found — a
    parameter's path, a file's row and column — and ``what`` names the input (政策参数方案, 到账回单)."""

    def __init__(self, problems: list[tuple[str, str]], field: str, what: str, total: int | None = None):
        self.problems, self.what = problems, what
        self.total = len(problems) if total is None else total  # more than listed when the list was cut short
        super().__init__("；".join(f"{p}: {m}" if p not in ("", "/") else m for p, m in problems), field)

    @property
    def summary(self) -> str:
        return f"{self.what}有 {self.total:,} 处错误，未作保存"


class ProfileRefused(Refused):
    """A policy profile refused whole: ``problems`` are every (parameter path, message) found."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems, "profile", "政策参数方案")
