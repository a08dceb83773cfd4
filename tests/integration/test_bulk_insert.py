"""The bulk loads' one writer (``accounting.schema.bulk_insert``): the driver's own cursor on both databases,
and its errors raised as SQLAlchemy raises them, so that the steps translate them as any other."""
import pytest
from sqlalchemy import exc, func, select

from prepay_admin.db import bulk_insert
from prepay_admin.models import Region


def test_a_bulk_load_breaking_a_constraint_raises_sqlalchemys_integrity_error_and_writes_nothing(sessions):
    columns = ("code", "name", "profile", "deposit_profile")
    with pytest.raises(exc.IntegrityError):
        with sessions.begin() as session:
            bulk_insert(session.connection(), Region.__table__, columns,
                        [("990100", "甲", "nantong-2025", "national-2025"), ("990100", "乙", "nantong-2025",
                                                                              "national-2025")])
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Region).where(Region.code == "990100")) == 0


def test_a_bulk_load_on_a_connection_outside_a_transaction_begins_one(engine):
    with engine.connect() as connection:
        bulk_insert(connection, "region", ("code", "name", "profile", "deposit_profile"),
                    iter([("990200", "丙", "nantong-2025", "national-2025")]))
        assert connection.in_transaction()
        connection.rollback()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Region).where(Region.code == "990200")) == 0
