"""A region brings its own rules: policy profiles added as data, versioned, never changed.

One path stores every profile, the packaged ones at ``db upgrade`` and a bureau's own from a file
(``policy add``, the administration screen, the API): the whole text is validated by the same loader
(every bad parameter named, nothing stored on any error), then kept with its name, version, title,
source, who added it, when and its SHA-256. A revision is a new version of the same name, higher than
every stored one; a stored version is never replaced (the database refuses UPDATE and DELETE).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import AuditEvent, Department, Region, StaffRegion, StoredProfile
from ..profiles import ProfileError, decode_profile, packaged_texts, profile_from_text
from .errors import ProfileRefused
from .unit_of_work import staff_step

PACKAGED_BY = "packaged"  # who added a profile shipped with the software


@dataclass(frozen=True)
class ProfileAdded:
    name: str
    version: int
    title: str
    sha256: str
    added_by: str
    added_at: dt.datetime
    replayed: bool  # the same text was stored already: nothing was added


def add_profile(sessions: sessionmaker, data: bytes, user: str) -> ProfileAdded:
    """管理员 adds a profile file (TOML, UTF-8); ``ProfileRefused`` lists every problem, nothing stored."""
    with staff_step(sessions, user, Department.ADMINISTRATOR) as step:
        try:
            text = decode_profile(data, "上传的文件")
            _may_revise(step, profile_from_text(text).name)
            added = add_profile_in(step.session, text, step.actor.username)
        except ProfileError as err:
            raise ProfileRefused(err.problems) from None
        if not added.replayed:
            step.session.add(AuditEvent(actor=step.actor.username, kind="profile", detail=(
                f"新增政策参数方案 {added.name} 第 {added.version} 版（{added.title}，SHA-256 {added.sha256}）")[:500]))
        return added


def _may_revise(step, name: str) -> None:
    """RULES §9 (turn 3, whose rules): a profile's versions belong to the regions that run it; only an
    administrator of every one of them may add a version (issue 28: region B's administrator added a
    version of A's profile, every grade at 100%, which A's next year would have opened on). A new name
    is the adding administrator's own."""
    running = set(step.session.scalars(select(Region.code).where(Region.profile == name)))
    own = set(step.session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == step.actor.id)))
    outside = sorted(running - own)
    if outside:
        raise ProfileError(name, [("name", f"政策参数方案 {name} 由统筹地区 {'、'.join(outside)} 使用，"
                                           f"须由管辖这些统筹地区的管理员新增版本")])


def add_profile_in(session: Session, text: str, by: str) -> ProfileAdded:
    """Validate ``text`` whole and store it as its name's new version, inside the caller's transaction.

    The same text again answers with the stored version (a retried upload adds nothing); another text
    under a stored version, or a version not above the latest, is refused: versions are superseded,
    never changed."""
    profile = profile_from_text(text)  # every problem at once, as ProfileError
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    same = session.scalar(select(StoredProfile).where(StoredProfile.name == profile.name,
                                                      StoredProfile.version == profile.version))
    if same is not None:
        if same.sha256 == sha:
            return _added(same, replayed=True)
        raise ProfileError(profile.name, [("version", (
            f"{profile.name} 第 {profile.version} 版已存（{same.added_at:%Y-%m-%d} 由 {same.added_by} 新增），"
            f"已存版本不能修改；修订后请将 version 改为新的版本号再新增"))])
    latest = session.scalar(select(func.max(StoredProfile.version)).where(StoredProfile.name == profile.name))
    if latest is not None and profile.version < latest:
        raise ProfileError(profile.name, [("version", (
            f"{profile.name} 已有第 {latest} 版，新版本号须大于 {latest}（旧版本只能被新版本取代）"))])
    row = StoredProfile(name=profile.name, version=profile.version, title=profile.title, source=profile.source,
                        content=text, sha256=sha, added_by=by[:60])
    session.add(row)
    session.flush()
    return _added(row, replayed=False)


def register_packaged_profiles(sessions: sessionmaker) -> list[ProfileAdded]:
    """The profiles shipped with this release, stored unless they are already (run by ``db upgrade``)."""
    with sessions.begin() as session:
        return [add_profile_in(session, text, PACKAGED_BY) for text in packaged_texts().values()]


def _added(row: StoredProfile, replayed: bool) -> ProfileAdded:
    return ProfileAdded(row.name, row.version, row.title, row.sha256, row.added_by, row.added_at, replayed)
