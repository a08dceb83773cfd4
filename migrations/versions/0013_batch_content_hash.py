"""A payment batch keeps the hash of its lines (``content_hash``), set when it is prepared and at each
change, so the sign-off screen names it without reading every line of a province's batch (75,000 lines:
about 0.4 s a view). A signature still recomputes it from the lines.

Existing batches are hashed here, by the rule of ``services.batch.hash_of`` as it stands at this revision
(copied, since a migration must not change when the application does).

Revision ID: 0013
Revises: 0012
"""
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _hash(batch_id: int, rows) -> str:
    lines = sorted([code, fund, f"{Decimal(amount) / 100:.2f}", f"{Decimal(determined) / 100:.2f}", bank_name,
                    bank_account] for code, fund, amount, determined, bank_name, bank_account in rows)
    return hashlib.sha256(json.dumps([batch_id, lines], ensure_ascii=False).encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("payment_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    batch_ids = connection.execute(sa.text("SELECT id FROM payment_batch ORDER BY id")).scalars().all()
    for batch_id in batch_ids:
        rows = connection.execute(sa.text(
            "SELECT institution_code, fund, amount, determined, bank_name, bank_account FROM payment_batch_item "
            "WHERE batch_id = :batch_id"), {"batch_id": batch_id}).all()
        connection.execute(sa.text("UPDATE payment_batch SET content_hash = :hash WHERE id = :batch_id"),
                           {"hash": _hash(batch_id, rows), "batch_id": batch_id})
    with op.batch_alter_table("payment_batch", schema=None) as batch_op:
        batch_op.alter_column("content_hash", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_batch", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
