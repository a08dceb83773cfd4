"""Which rules apply to a region's year: its stored profile version plus the overrides in force (14§).

``effective_profile`` is the one function that resolves the rules of a (region, year); every step of
that year's cycle gets its profile from it (through the campaign-step context), so an approved
override changes every step, and so do the queries that show that year. A campaign keeps the profile
version it was opened with for its whole year; before it opens, the year runs on the latest version
of the region's profile (or the version staff choose when they open it). Overrides are kept, never
overwritten: for each parameter the latest recorded is in force.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, PolicyOverride, Region, StoredProfile
from ..policy.profile import PolicyProfile
from ..profiles import Override, ProfileError, profile_from_text


def overrides_in_force(session: Session, region: Region, year: int) -> list[Override]:
    """The latest override of each parameter for the year, in parameter order."""
    return _in_force(session.execute(select(PolicyOverride.id, PolicyOverride.parameter, PolicyOverride.value_json,
                                            PolicyOverride.approval_ref).where(
        PolicyOverride.region_id == region.id, PolicyOverride.year == year)).all())


def overrides_column(region_id: Any, year: Any, dialect: str) -> Any:
    """The year's overrides as one JSON array, a column a step's first statement reads with the region
    (``overrides_from``): a step that needs its rules spends no round trip on them. ``year`` is a
    value or a bind parameter."""
    o = PolicyOverride
    row = (func.json_build_array if dialect == "postgresql" else func.json_array)(
        o.id, o.parameter, o.value_json, o.approval_ref)
    rows = func.json_agg(row) if dialect == "postgresql" else func.json_group_array(row)
    return select(rows).where(o.region_id == region_id, o.year == year).scalar_subquery()


def overrides_from(column: Any) -> list[Override]:
    """``overrides_in_force`` from what ``overrides_column`` read (a text on SQLite, already a list on
    PostgreSQL; nothing when there is none)."""
    rows = json.loads(column) if isinstance(column, str) else column
    return _in_force([tuple(r) for r in rows or ()])


def _in_force(rows: list[tuple[int, str, str, str]]) -> list[Override]:
    """(id, parameter, value as JSON, approval) → for each parameter the latest recorded, in parameter order."""
    latest = {parameter: (value, approval) for _, parameter, value, approval in sorted(rows)}
    return [Override(p, json.loads(value), approval) for p, (value, approval) in sorted(latest.items())]


def stored_profile(session: Session, name: str, version: int | None = None) -> StoredProfile:
    """A stored profile version (``None``: the latest of the name); refused naming what is stored."""
    query = select(StoredProfile).where(StoredProfile.name == name)
    found = session.scalar(query.where(StoredProfile.version == version) if version is not None
                           else query.order_by(StoredProfile.version.desc()).limit(1))
    if found is None:
        names = session.scalars(select(StoredProfile.name).distinct().order_by(StoredProfile.name)).all()
        what = f"{name} 第 {version} 版" if version is not None else name
        raise ProfileError(name, [("/", f"没有名为 {what} 的政策参数方案（已存方案：{'、'.join(names) or '无'}）")])
    return found


def year_profile(session: Session, region: Region, year: int, version: int | None = None,
                 campaign: Campaign | None = None) -> tuple[str, int | None]:
    """The name and version a year runs on: the campaign's, kept since it was opened; before it opens,
    the region's profile at ``version`` (staff's choice when they open it; ``None``: the latest).
    ``campaign``: the year's campaign where the caller holds it already (a campaign step)."""
    opened = (campaign.profile, campaign.profile_version) if campaign is not None else session.execute(
        select(Campaign.profile, Campaign.profile_version).where(
            Campaign.region_id == region.id, Campaign.year == year)).first()
    return tuple(opened) if opened is not None else (region.profile, version)


def profile_version_for(session: Session, region: Region, year: int, version: int | None = None) -> StoredProfile:
    """The stored version a year runs on (see ``year_profile``)."""
    return stored_profile(session, *year_profile(session, region, year, version))


def version_text(session: Session, name: str, version: int) -> str:
    """A stored version's text. A stored version never changes (the database refuses it), so once read
    it is kept per database: every step of a year resolves its rules without reading the text again."""
    url = session.get_bind().url
    if url.database in (None, "", ":memory:"):  # in-memory databases share one URL: nothing to key by
        return stored_profile(session, name, version).content
    key = (str(url), name, version)
    text = _TEXTS.get(key)
    if text is None:
        text = stored_profile(session, name, version).content
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.pop(next(iter(_TEXTS)))
        _TEXTS[key] = text
    return text


_TEXTS: dict[tuple[str, str, int], str] = {}  # (database, name, version) → the stored text
_TEXTS_MAX = 256


def effective_profile(session: Session, region: Region, year: int, proposed: Override | None = None,
                      version: int | None = None, campaign: Campaign | None = None,
                      overrides: list[Override] | None = None) -> PolicyProfile:
    """The rules of a region's year: its profile version with the year's overrides applied (14§).

    With ``proposed``, the rules as they would be with that override in force (it replaces any of
    the same parameter): how a new override is validated before it is recorded. With ``version``, a
    year not opened yet resolved on that version of the region's profile (opening it on staff's choice).
    With ``campaign`` and ``overrides``, the year's campaign and overrides in force the caller read
    already (a campaign step reads them with its region).
    """
    if overrides is None:
        overrides = overrides_in_force(session, region, year)
    if proposed is not None:
        overrides = [*(o for o in overrides if o.path != proposed.path), proposed]
    name, exact = year_profile(session, region, year, version, campaign)
    text = version_text(session, name, exact) if exact is not None else stored_profile(session, name).content
    return profile_from_text(text, overrides)
