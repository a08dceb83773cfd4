"""Policy profiles: versioned data files, validated on load, with per-year overrides (14§).

A profile is a TOML text. The packaged ones (``nantong-2025.toml``, ``hebei-2024.toml`` beside this
file) and a bureau's own are stored in the database, versioned, by one path (``services.profiles``);
a region's year runs on the stored version its campaign was opened with.
A per-year override (14§: in a public-health emergency the province may change
conditions and scale) is a ``parameter path = JSON value`` recorded with its
approval reference; it is applied on top of the file and validated again.
"""
from __future__ import annotations

from .loader import (
    NOT_OVERRIDABLE,
    PROFILE_BYTES_MAX,
    decode_profile,
    draft_profile,
    load_profile,
    packaged_texts,
    parse_toml,
    profile_from_data,
    profile_from_text,
)
from .schema import (
    DEFAULT_PROFILE,
    LEGACY_ACCOUNT_DEFAULTS,
    REQUIRED_ACCOUNTS,
    Override,
    ProfileError,
    _ProfileSchema,
    with_turn3_accounts,
)

__all__ = [
    "DEFAULT_PROFILE", "LEGACY_ACCOUNT_DEFAULTS", "NOT_OVERRIDABLE", "PROFILE_BYTES_MAX", "REQUIRED_ACCOUNTS",
    "Override", "ProfileError", "_ProfileSchema", "decode_profile", "draft_profile", "load_profile",
    "packaged_texts", "parse_toml", "profile_from_data", "profile_from_text", "with_turn3_accounts",
]
