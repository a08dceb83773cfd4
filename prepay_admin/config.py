"""Configuration from the environment, with defaults that work on a fresh machine."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "instance" / "prepay-admin.sqlite3"


def database_url() -> str:
    """``DATABASE_URL`` (any SQLAlchemy URL), else a SQLite file under ``instance/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"
