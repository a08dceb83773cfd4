"""A document kind's template contract: its title, its article, its packaged template and the data it
is filled with. The kinds the bureau issues are registered in ``prepay_admin.services.documents``.

``provides`` is the document's data contract: the top-level names its context holds. A region's own
edited template may use any of them and nothing else (checked on upload), so that a document is never
issued with a field left empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class DocumentKind:
    name: str
    title: str
    article: str
    provides: frozenset[str]
    per_institution: bool = True
    template: bytes | None = None  # its own template (a kind registered with one); else the packaged file

    def packaged_template(self) -> bytes:
        return self.template if self.template is not None else _packaged(self.name)


@lru_cache(maxsize=None)
def _packaged(name: str) -> bytes:
    return resources.files(__package__).joinpath("templates", f"{name}.docx").read_bytes()


COMMON = frozenset({"bureau", "rules_title", "region", "year", "issued_on"})
