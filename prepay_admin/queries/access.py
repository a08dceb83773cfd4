"""What a member of staff may see: the regions granted to them (nobody sees another region's data)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Campaign, PaymentBatch, Region, Staff, StaffRegion
from ..services.errors import NotFound, ServiceError


def granted_regions(sessions: sessionmaker, username: str) -> dict[str, str]:
    """The regions (code → name) a member of staff may see."""
    with sessions() as session:
        return dict(session.execute(
            select(Region.code, Region.name).join(StaffRegion, StaffRegion.region_code == Region.code)
            .join(Staff, Staff.id == StaffRegion.staff_id).where(Staff.username == username, Staff.active.is_(True))
            .order_by(Region.code)).all())


def check_region(sessions: sessionmaker, username: str, region_code: str) -> None:
    if region_code not in granted_regions(sessions, username):
        raise ServiceError(f"无权查看统筹地区 {region_code} 的数据", "region")


def check_batch(sessions: sessionmaker, username: str, batch_id: int, region_code: str | None = None) -> None:
    """The batch is the user's to see (and, with ``region_code``, of that region: a screen's URL names one)."""
    with sessions() as session:
        code = session.scalar(select(Region.code).join(Campaign, Campaign.region_id == Region.id)
                              .join(PaymentBatch, PaymentBatch.campaign_id == Campaign.id)
                              .where(PaymentBatch.id == batch_id))
    if code is None or code not in granted_regions(sessions, username) or region_code not in (None, code):
        # another region's batch is as if it did not exist: the answer names nothing of it (issue 30 review)
        raise NotFound(f"没有拨付批次 {batch_id}", "batch")


def people(sessions: sessionmaker) -> dict[str, str]:
    """Every member of staff as people read them, 名字（部门）, by username (issue 30: names, not usernames)."""
    from .audit_trail import staff_names

    with sessions() as session:
        return staff_names(session)
