"""Issue 28: history that cannot be erased, and a holiday calendar whose adjustments are a region's own.

- The audit trail, the transitions, the sign-offs and the register of issued documents become
  append-only on both databases (``accounting.guards.HISTORY_TABLES``): a batch sign-off may only be
  voided, and a document only superseded, by filling those columns once, from empty.
- ``calendar_day`` gets a region (RULES §9, turn 3): a national entry (no region) is shared, a bureau's
  own adjustment belongs to its region. Entries recorded before had no owner and every region counted
  on them: they stay national, so no deadline computed before changes.
- Failed sign-ins are counted per address too (``ix_login_attempt_remote_at``).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

import prepay_admin.db
from accounting import guards

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = ("day", "workday", "note", "recorded_by", "recorded_at")


def _calendar_rows() -> list[dict]:
    table = sa.table("calendar_day", *(sa.column(c) for c in COLUMNS))
    return [dict(r._mapping) for r in op.get_bind().execute(sa.select(table))]


def upgrade() -> None:
    conn = op.get_bind()
    for table in guards.HISTORY_TABLES:
        guards.guard_history(conn, table)
    rows = _calendar_rows()  # a few dozen days: moved through memory to rebuild the key
    op.drop_table("calendar_day")
    calendar = op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", prepay_admin.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"], name=op.f("fk_calendar_day_region_code_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_day")),
    )
    national, regional = sa.text("region_code IS NULL"), sa.text("region_code IS NOT NULL")
    op.create_index("uq_calendar_day_national", "calendar_day", ["day"], unique=True,
                    sqlite_where=national, postgresql_where=national)
    op.create_index("uq_calendar_day_regional", "calendar_day", ["region_code", "day"], unique=True,
                    sqlite_where=regional, postgresql_where=regional)
    if rows:
        op.bulk_insert(calendar, rows)
    op.create_index("ix_login_attempt_remote_at", "login_attempt", ["remote", "at"], unique=False)


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_index("ix_login_attempt_remote_at", table_name="login_attempt")
    if conn.execute(sa.text("SELECT COUNT(*) FROM calendar_day WHERE region_code IS NOT NULL")).scalar():
        raise RuntimeError("统筹地区自行录入的节假日调整无法降级保存：请先导出后再降级")
    rows = _calendar_rows()
    op.drop_table("calendar_day")
    calendar = op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", prepay_admin.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    if rows:
        op.bulk_insert(calendar, rows)
    for table in guards.HISTORY_TABLES:
        guards.unguard_table(conn, table)
