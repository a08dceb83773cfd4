"""Data intake: institutions' unified social credit codes, conditions' registration dates, the import
record, corrections' earlier versions, uploads awaiting confirmation.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from accounting.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("institution") as batch:
        batch.add_column(sa.Column("credit_code", sa.String(length=18), nullable=True))
    with op.batch_alter_table("institution_condition") as batch:
        batch.add_column(sa.Column("registered_on", sa.Date(), nullable=True))
    op.create_table(
        "data_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("imported_by", sa.String(length=60), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_data_import_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_import")),
    )
    op.create_index(op.f("ix_data_import_region_id"), "data_import", ["region_id"])
    op.create_table(
        "data_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=False),
        sa.Column("after_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["data_import.id"], name=op.f("fk_data_correction_import_id_data_import")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_correction")),
    )
    op.create_index(op.f("ix_data_correction_import_id"), "data_correction", ["import_id"])
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=60), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_import_upload_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
    )


def downgrade() -> None:
    op.drop_table("import_upload")
    op.drop_index(op.f("ix_data_correction_import_id"), table_name="data_correction")
    op.drop_table("data_correction")
    op.drop_index(op.f("ix_data_import_region_id"), table_name="data_import")
    op.drop_table("data_import")
    with op.batch_alter_table("institution_condition") as batch:
        batch.drop_column("registered_on")
    with op.batch_alter_table("institution") as batch:
        batch.drop_column("credit_code")
