"""One way to run a step: the campaign-step context every write use case runs in.

A step is a unit of work: one session and one transaction (committed when the
block ends, rolled back on any error), the acting member of staff checked
against the department that owns the duty (24§), and — for steps of a
region's year — the region, the campaign (row-locked where the step needs it)
and the *effective* profile with the year's overrides (14§), resolved once,
here, by ``services.rules.effective_profile``. Transitions go through the
step, so every move is recorded with who, when, from, to and why.

A step runs with Python's cyclic collector paused (``accounting.collector``): a bulk step over a
province allocates hundreds of thousands of objects that reference counting alone frees.

Database trouble that is not the caller's fault becomes a ``ServiceError`` too:
a lock held past the timeout reads "数据库繁忙，请稍后重试", never a raw
``OperationalError``.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping, TypeVar

from sqlalchemy import Integer, Select, String, and_, bindparam, insert, select, update
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from accounting.collector import collector_paused

from ..models import DEPARTMENT_CN, Campaign, Department, Region, Staff, StaffRegion, Transition
from ..policy.profile import PolicyProfile
from ..policy.transitions import IllegalTransition, Machine
from ..profiles import Override
from .errors import Busy, NotFound, ServiceError
from .rules import effective_profile, overrides_column, overrides_from


@dataclass
class Step:
    session: Session
    actor: Staff
    region: Region | None = None
    year: int | None = None
    campaign: Campaign | None = None
    overrides: list[Override] | None = None  # the year's overrides in force, where the step read them already
    _profile: PolicyProfile | None = field(default=None, repr=False)

    @property
    def profile(self) -> PolicyProfile:
        """The region's rules for the year, overrides applied; resolved once per step."""
        if self._profile is None:
            if self.region is None or self.year is None:
                raise RuntimeError("a step without a region's year has no profile")
            self._profile = effective_profile(self.session, self.region, self.year, campaign=self.campaign,
                                              overrides=self.overrides)
        return self._profile

    def require(self, *departments: Department) -> None:
        """24§: each duty has its department; anyone else is refused."""
        if departments and self.actor.department not in departments:
            wanted = "或".join(DEPARTMENT_CN[d] for d in departments)
            raise ServiceError(f"{self.actor.name}（{DEPARTMENT_CN[self.actor.department]}）无权执行此操作，"
                               f"须由{wanted}办理", "user")

    def enter(self, region: Region, granted: bool | None = None) -> None:
        """Nobody acts on a region they have not been granted (an administrator grants it); ``granted``
        when the caller read the grant with the region already."""
        if granted is None:
            granted = self.session.get(StaffRegion, (self.actor.id, region.code)) is not None
        if not granted:
            # names nothing of the other region: the object may have been reached by its id (issue 30 review)
            raise ServiceError(f"{self.actor.name} 未被授权办理该统筹地区的业务", "region")
        self.region = region

    def lock_region(self) -> None:
        """One at a time per region, for the steps that read what institutions hold and change it (a
        year end, a recovery trigger, a settlement run, an import): two of them at once would both read
        the same advance in force and claim it twice. A write step on SQLite holds the database already."""
        self.session.execute(select(Region.id).where(Region.id == self.region.id).with_for_update())

    def transition(self, machine: Machine, obj: Any, action: str, reason: str = "") -> str:
        """Move ``obj`` (anything with ``id`` and ``state``) by ``action``; refused unless the table allows it."""
        try:
            target = machine.next(obj.state, action)
        except IllegalTransition as err:
            raise ServiceError(str(err), "state") from None
        self.record(machine, obj.id, action, obj.state, target, reason)
        obj.state = target
        return target

    def transition_many(self, machine: Machine, model: type, ids: list[int], from_state: str, action: str,
                        reason: str | Mapping[int, str] = "") -> int:
        """Move many rows of one state by ``action`` at once (a bulk step over a region): the table is asked
        once, every move is recorded in one insert (``reason`` one for all, or each row's by id), the rows
        change in one update per thousand. A row no longer in ``from_state`` (another request moved it
        meanwhile) refuses the whole step: nothing is written, and it may be retried."""
        if not ids:
            return 0
        try:
            target = machine.next(from_state, action)
        except IllegalTransition as err:
            raise ServiceError(str(err), "state") from None
        reasons = reason if isinstance(reason, Mapping) else dict.fromkeys(ids, reason)
        self.session.execute(insert(Transition), [
            dict(machine=machine.name, object_id=i, action=action, from_state=from_state, to_state=target,
                 actor=self.actor.username, reason=reasons[i][:500]) for i in ids])
        moved = 0
        for n in range(0, len(ids), 1000):
            moved += self.session.execute(
                update(model).where(model.id.in_(ids[n:n + 1000]), model.state == from_state)
                .values(state=target).execution_options(synchronize_session=False)).rowcount
        if moved != len(ids):
            raise ServiceError(f"有 {len(ids) - moved} 条记录已被他人同时处理，本次未作保存，请刷新后重试", "state")
        return moved

    def created_many(self, machine: Machine, ids: list[int], action: str, to_state: str, reason: str = "") -> None:
        """Record the creation of many rows (a bulk step's inserts) in one insert."""
        if ids:
            self.session.execute(insert(Transition), [
                dict(machine=machine.name, object_id=i, action=action, from_state=None, to_state=to_state,
                     actor=self.actor.username, reason=reason[:500]) for i in ids])

    def record(self, machine: Machine, object_id: int, action: str, from_state: str | None, to_state: str,
               reason: str = "") -> None:
        record_transition(self.session, machine, object_id, action, from_state, to_state, self.actor.username, reason)


class RegionStep(Step):
    """A step about one region's year (``region_step``): its region and year are known. The same object
    as a ``Step``, typed narrower, so that a use case's signature says what it runs inside."""

    region: Region
    year: int


class CampaignStep(RegionStep):
    """A step of a region's annual campaign (``campaign_step``, ``campaign_step_of``)."""

    campaign: Campaign


S = TypeVar("S", bound=RegionStep)


def record_transition(session: Session, machine: Machine, object_id: int, action: str, from_state: str | None,
                      to_state: str, actor: str, reason: str = "") -> None:
    """The transition log: who, when, from, to, why (the scheduler records as itself)."""
    session.add(Transition(machine=machine.name, object_id=object_id, action=action, from_state=from_state,
                           to_state=to_state, actor=actor, reason=reason[:500]))


def find_staff(session: Session, username: str) -> Staff:
    person = session.scalar(select(Staff).where(Staff.username == username))
    if person is None:
        raise ServiceError(f"用户 {username} 不存在", "user")
    return person


def active_staff(session: Session, username: str) -> Staff:
    return _active(find_staff(session, username), username)


def _active(person: Staff, username: str) -> Staff:
    if not person.active:
        raise ServiceError(f"用户 {username} 已停用", "user")
    return person


def find_region(session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有统筹地区 {code}", "region")
    return region


def find_campaign(session: Session, region: Region, year: int, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year)
    campaign = session.scalar(query.with_for_update() if lock else query)
    if campaign is None:
        raise NotFound(f"{region.name} 尚未开启 {year} 年度预付", "year")
    return campaign


@contextmanager
def staff_step(sessions: sessionmaker, user: str, *departments: Department) -> Iterator[Step]:
    """A write by a member of staff of ``departments`` (none named: any member of staff)."""
    with collector_paused(), _translated_errors(), sessions.begin() as session:
        step = Step(session, active_staff(session, user))
        step.require(*departments)
        yield step


@contextmanager
def region_step(sessions: sessionmaker, user: str, region_code: str, year: int,
                *departments: Department) -> Iterator[RegionStep]:
    """A write about a region's year, before or without its campaign (e.g. a 14§ override)."""
    with collector_paused(), _translated_errors(), sessions.begin() as session:
        step, _ = _enter_region(session, user, departments, region_code, year, RegionStep)
        yield step


@contextmanager
def campaign_step(sessions: sessionmaker, user: str, region_code: str, year: int, *departments: Department,
                  lock: bool = False) -> Iterator[CampaignStep]:
    """A step of a region's annual campaign; ``lock`` holds the campaign row for the whole step."""
    with collector_paused(), _translated_errors(), sessions.begin() as session:
        step, campaign = _enter_region(session, user, departments, region_code, year, CampaignStep,
                                       with_campaign=not lock)
        step.campaign = find_campaign(session, step.region, year, lock=True) if lock else campaign
        if step.campaign is None:
            raise NotFound(f"{step.region.name} 尚未开启 {year} 年度预付", "year")
        yield step


def _enter_region(session: Session, user: str, departments: tuple[Department, ...], region_code: str, year: int,
                  kind: type[S], *, with_campaign: bool = False) -> tuple[S, Campaign | None]:
    """The actor, the region, whether the actor was granted it, the year's overrides in force (14§) and
    (``with_campaign``) its campaign of ``year``, read in one statement: every step of every institution
    begins here, so it costs one round trip, not five. Checked in the order a person would be told: who
    they are, their department (24§), the region, their grant."""
    query = _preamble(session.get_bind().dialect.name, with_campaign)
    row = session.execute(query, {"user": user, "region_code": region_code, "year": year}).first()
    if row is None:
        raise ServiceError(f"用户 {user} 不存在", "user")
    step = kind(session, _active(row[0], user))
    step.require(*departments)
    if row[1] is None:
        raise NotFound(f"没有统筹地区 {region_code}", "region")
    step.enter(row[1], bool(row[2]))
    step.year, step.overrides = year, overrides_from(row[3])
    return step, row[4] if with_campaign else None


@lru_cache(maxsize=None)
def _preamble(dialect: str, with_campaign: bool) -> Select:
    """``_enter_region``'s statement, built once per dialect and shape with its values as bind
    parameters: building it anew cost thirty times its execution on SQLite, on every step."""
    year = bindparam("year", type_=Integer)
    granted = StaffRegion.staff_id.is_not(None).label("granted")
    query = (select(Staff, Region, granted, overrides_column(Region.id, year, dialect)).select_from(Staff)
             .outerjoin(Region, Region.code == bindparam("region_code", type_=String))
             .outerjoin(StaffRegion, and_(StaffRegion.region_code == Region.code, StaffRegion.staff_id == Staff.id))
             .where(Staff.username == bindparam("user", type_=String)))
    if with_campaign:
        query = query.add_columns(Campaign).outerjoin(Campaign, and_(Campaign.region_id == Region.id,
                                                                     Campaign.year == year))
    return query


@contextmanager
def campaign_step_of(sessions: sessionmaker, user: str,
                     find: Callable[[Session], Campaign]) -> Iterator[CampaignStep]:
    """A step reached through one of the campaign's objects (a batch, an instruction): ``find``
    locks that object and returns its campaign; the department is checked by the use case."""
    with collector_paused(), _translated_errors(), sessions.begin() as session:
        step = CampaignStep(session, active_staff(session, user))
        campaign = find(step.session)
        step.campaign, step.year = campaign, campaign.year
        step.enter(step.session.get(Region, campaign.region_id))
        yield step


def _is_lock_timeout(err: OperationalError) -> bool:
    """A lock waited for too long, or two steps each waiting for the other (PostgreSQL chose this one to
    stop: a deadlock, 40P01, or a serialization failure, 40001): nothing was written, a retry is safe."""
    text_ = str(err.orig).lower()
    return "database is locked" in text_ or "lock timeout" in text_ or "lock_timeout" in text_ \
        or getattr(err.orig, "sqlstate", None) in ("55P03", "40P01", "40001")


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as err:
        if _is_lock_timeout(err):
            raise Busy() from None
        raise
    except DataError:
        # a value the column cannot hold (an id or amount past its range): never echo the statement
        raise ServiceError("输入的数值超出允许范围", None) from None
