"""The stored policy profiles: every version with who added it and which campaigns run on it, one
version's parameters, and what differs between two profiles (stored versions or a draft file).

Profiles are the service's reference data, read by every member of staff; which regions and years run
on a version is shown only for the regions the viewer is granted (another region stays invisible)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ..models import Campaign, Region, StoredProfile
from ..policy.parameters import Difference, differences, parameters
from ..policy.profile import PolicyProfile
from ..profiles import ProfileError, draft_profile, profile_from_text
from ..services.errors import NotFound, ProfileRefused, ServiceError
from ..services.rules import stored_profile
from .access import granted_regions

REF_HELP = "方案名称，或 名称@版本（如 nantong-2025@1），或 .toml 文件"


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    version: int
    title: str
    source: str
    sha256: str
    added_by: str
    added_at: dt.datetime
    latest: bool  # the version new campaigns of its regions take
    regions: tuple[str, ...]  # "320600 南通市": the viewer's regions running under the name
    campaigns: tuple[str, ...]  # "320600 2026": the viewer's campaigns opened on this very version


@dataclass(frozen=True)
class ProfileDetail:
    summary: ProfileSummary
    parameters: tuple[tuple[str, str], ...]
    content: str  # the file as added, to download and revise


@dataclass(frozen=True)
class ProfileRef:
    """A profile to compare: a stored version (``version`` None: the latest), or a draft file's bytes."""

    name: str
    version: int | None = None
    draft: bytes | None = None  # a file not stored: ``name`` is its file name

    @classmethod
    def parse(cls, text: str) -> ProfileRef:
        name, sep, version = text.strip().partition("@")
        if not name or (sep and not (version.isascii() and version.isdigit() and 0 < len(version) <= 4)):
            raise ServiceError(f"“{text[:60]}”不是有效的方案：须为{REF_HELP}", "profile")
        return cls(name, int(version) if sep else None)


@dataclass(frozen=True)
class Comparison:
    left: str  # "nantong-2025 第 1 版", or the draft's file name
    right: str
    differences: tuple[Difference, ...]


def list_profiles(sessions: sessionmaker, viewer: str) -> list[ProfileSummary]:
    granted = granted_regions(sessions, viewer)
    with sessions() as session:
        rows = session.scalars(select(StoredProfile).order_by(StoredProfile.name, StoredProfile.version)).all()
        return [_summary(session, r, latest, granted) for r, latest in
                zip(rows, [i + 1 == len(rows) or rows[i + 1].name != r.name for i, r in enumerate(rows)])]


def region_versions(sessions: sessionmaker, region_code: str, viewer: str) -> list[ProfileSummary]:
    """The stored versions of the profile a region runs under, newest first: what opening a year offers."""
    granted = granted_regions(sessions, viewer)
    if region_code not in granted:
        return []
    with sessions() as session:
        name = session.scalar(select(Region.profile).where(Region.code == region_code))
        rows = session.scalars(select(StoredProfile).where(StoredProfile.name == name)
                               .order_by(StoredProfile.version.desc())).all()
        return [_summary(session, r, i == 0, granted) for i, r in enumerate(rows)]


def profile_detail(sessions: sessionmaker, viewer: str, name: str, version: int | None = None) -> ProfileDetail:
    granted = granted_regions(sessions, viewer)
    with sessions() as session:
        row = _stored(session, name, version)
        latest = session.scalar(select(func.max(StoredProfile.version)).where(StoredProfile.name == row.name))
        profile = profile_from_text(row.content)
        return ProfileDetail(_summary(session, row, latest == row.version, granted), tuple(parameters(profile).items()),
                             row.content)


def compare_profiles(sessions: sessionmaker, left: ProfileRef, right: ProfileRef) -> Comparison:
    """Every parameter that differs between two profiles, with both values."""
    (left_label, a), (right_label, b) = _resolve(sessions, left), _resolve(sessions, right)
    return Comparison(left_label, right_label, tuple(differences(parameters(a), parameters(b))))


def resolve_profile(sessions: sessionmaker, ref: ProfileRef) -> PolicyProfile:
    """A stored version, or a draft file validated but not stored (the what-if of ``compute --input``)."""
    return _resolve(sessions, ref)[1]


def _resolve(sessions: sessionmaker, ref: ProfileRef) -> tuple[str, PolicyProfile]:
    if ref.draft is not None:
        try:
            return ref.name, draft_profile(ref.draft, ref.name)
        except ProfileError as err:
            raise ProfileRefused([(f"{ref.name} {p}".strip(), m) for p, m in err.problems]) from None
    with sessions() as session:
        row = _stored(session, ref.name, ref.version)
        return f"{row.name} 第 {row.version} 版", profile_from_text(row.content)


def _stored(session, name: str, version: int | None) -> StoredProfile:
    try:
        return stored_profile(session, name, version)
    except ProfileError as err:
        raise NotFound(err.problems[0][1], "profile") from None


def _summary(session, row: StoredProfile, latest: bool, granted: dict[str, str]) -> ProfileSummary:
    regions = session.execute(select(Region.code, Region.name).where(
        Region.profile == row.name, Region.code.in_(granted)).order_by(Region.code)).all()
    campaigns = session.execute(
        select(Region.code, Campaign.year).join(Region, Region.id == Campaign.region_id)
        .where(Campaign.profile == row.name, Campaign.profile_version == row.version, Region.code.in_(granted))
        .order_by(Region.code, Campaign.year)).all()
    return ProfileSummary(row.name, row.version, row.title, row.source, row.sha256, row.added_by, row.added_at,
                          latest, tuple(f"{c} {n}" for c, n in regions), tuple(f"{c} {y}" for c, y in campaigns))
