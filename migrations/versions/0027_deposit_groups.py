"""Issue 31: each run keeps every hospital × group's admissions and cost of the window's last year, from which the
monthly check finds rule 3's common groups (it read two years of settlements each time; now it reads the run's).
Each current run made before this revision gets its groups from the settlements as they stand at the upgrade (a
correction imported since the run shows in them, as it would in a recomputation); a superseded run, which nothing
reads them for, gets none.

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deposit_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("admissions", sa.Integer(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_deposit_group_institution_id_institution")),
        sa.ForeignKeyConstraint(["run_id"], ["deposit_run.id"], name=op.f("fk_deposit_group_run_id_deposit_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_group")),
        sa.UniqueConstraint("run_id", "institution_id", "group_code",
                            name=op.f("uq_deposit_group_run_id_institution_id_group_code")),
    )
    # the runs before: each visit netted over the window and the year before it, counted in its last discharge's
    # year when that is the window's last (as ``services.deposit._cell_sums`` counts them since)
    postgresql = op.get_bind().dialect.name == "postgresql"
    last_year = "make_date(r.year - 1, 1, 1)" if postgresql else "printf('%04d-01-01', r.year - 1)"
    since = "r.window_from - 366" if postgresql else "date(r.window_from, '-366 days')"
    op.execute(f"""
        INSERT INTO deposit_group (run_id, institution_id, group_code, admissions, cost)
        SELECT r.id, v.institution_id, v.group_code, count(*), sum(v.total)
        FROM (
            SELECT r.id AS run_id, d.institution_id, d.visit_key, max(d.group_code) AS group_code,
                   max(d.discharged_on) AS discharged_on, sum(d.total) AS total
            FROM discharge d JOIN deposit_run r ON r.region_id = d.region_id AND d.discharged_on >= {since}
                                                AND r.superseded_by IS NULL
            GROUP BY r.id, d.institution_id, d.visit_key) v
          JOIN deposit_run r ON r.id = v.run_id
        WHERE v.discharged_on BETWEEN {last_year} AND r.window_to AND v.total > 0
        GROUP BY r.id, v.institution_id, v.group_code""")


def downgrade() -> None:
    op.drop_table("deposit_group")
