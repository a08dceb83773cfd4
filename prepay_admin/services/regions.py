"""A pooling region (统筹地区): created once, with the policy profile it runs under and its two fund
books opened; an operator's command (like creating the first users), recorded with the OS login."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..intake.codes import bank_account_problem
from ..models import AuditEvent, Region, RegionAccount
from ..policy.facts import Fund
from ..profiles import ProfileError
from .books import open_region_books_in
from .errors import ServiceError
from .rules import effective_profile, stored_profile


def require_profile(session: Session, profile: str) -> None:
    """A region runs under a stored profile (packaged, or added by the bureau: ``policy add``)."""
    try:
        stored_profile(session, profile)
    except ProfileError as err:
        raise ServiceError(err.problems[0][1], "profile") from None


def check_region(code: str, name: str) -> None:
    if not code.strip() or len(code) > 12 or not code.isascii() or not code.isdigit():
        raise ServiceError("统筹地区编码须为 1—12 位数字（行政区划代码）", "region_code")
    if not name.strip() or len(name) > 100:
        raise ServiceError("统筹地区名称须为 1—100 个字符", "region_name")


def create_region_in(session: Session, code: str, name: str, profile: str, year: int) -> Region:
    """The region and its books (the chart of ``year``'s profile), inside the caller's transaction."""
    check_region(code, name)
    require_profile(session, profile)
    if session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise ServiceError(f"统筹地区 {code} 已存在", "region_code")
    region = Region(code=code, name=name.strip(), profile=profile)
    session.add(region)
    session.flush()
    open_region_books_in(session, code, region.name, effective_profile(session, region, year))
    return region


def create_region(sessions: sessionmaker, code: str, name: str, profile: str, year: int, by: str) -> None:
    with sessions.begin() as session:
        create_region_in(session, code, name, profile, year)
        session.add(AuditEvent(actor=by[:60], kind="operator", detail=f"创建统筹地区 {code} {name}（{profile}）"))


def set_account(sessions: sessionmaker, code: str, fund: Fund, account_name: str, bank_name: str, account_no: str,
                by: str) -> None:
    """The bureau's 支出户 of a fund, into which advances are paid back (named on every demand); replaces
    the earlier one, recorded with the OS login (an operator's command)."""
    account_no = account_no.replace(" ", "")
    problem = bank_account_problem(account_no)
    if problem:
        raise ServiceError(problem, "account_no")
    for value, field, label in ((account_name, "account_name", "户名"), (bank_name, "bank_name", "开户行")):
        if not value.strip() or len(value) > 100:
            raise ServiceError(f"{label}须为 1—100 个字符", field)
    with sessions.begin() as session:
        region = session.scalar(select(Region).where(Region.code == code))
        if region is None:
            raise ServiceError(f"没有统筹地区 {code}", "region_code")
        found = session.scalar(select(RegionAccount).where(RegionAccount.region_id == region.id,
                                                           RegionAccount.fund == fund))
        if found is None:
            found = RegionAccount(region_id=region.id, fund=fund)
            session.add(found)
        found.account_name, found.bank_name, found.account_no = account_name.strip(), bank_name.strip(), account_no
        session.add(AuditEvent(actor=by[:60], kind="operator",
                               detail=f"设置统筹地区 {code} {fund.value} 支出户：{bank_name} {account_no}"))


def set_deposit_profile(sessions: sessionmaker, code: str, name: str, by: str) -> str:
    """The deposit profile a region runs under (DEPOSIT.md: its province's, GZ, JL, XJ, or the national
    defaults): an operator's command, recorded; the next reference run and check use it."""
    from ..profiles.deposit import load_deposit_profile

    try:
        profile = load_deposit_profile(name)
    except ProfileError as err:
        raise ServiceError(err.problems[0][1], "profile") from None
    with sessions.begin() as session:
        region = session.scalar(select(Region).where(Region.code == code))
        if region is None:
            raise ServiceError(f"没有统筹地区 {code}", "code")
        before, region.deposit_profile = region.deposit_profile, profile.name
        session.add(AuditEvent(actor=by[:60], kind="operator",
                               detail=f"统筹地区 {code} 的预交金参数方案：{before} → {profile.name}"))
        return profile.title
