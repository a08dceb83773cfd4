"""Indexes for the steps taken one institution at a time, whose lookups scanned a whole table and so cost
more per institution as the region grew: a confirmation's batch items by determination, whether a batch
has an instruction still pending (by batch and state), an institution's determinations.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_batch_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_batch_item_determination_id"), ["determination_id"], unique=False)
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_batch_id")
        batch_op.create_index("ix_payment_instruction_batch_id_state", ["batch_id", "state"], unique=False)
    with op.batch_alter_table("determination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_determination_institution_id"), ["institution_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("determination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_determination_institution_id"))
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_batch_id_state")
        batch_op.create_index("ix_payment_instruction_batch_id", ["batch_id"], unique=False)
    with op.batch_alter_table("payment_batch_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_batch_item_determination_id"))
