"""Issue 30: a payment instruction the bank returns unpaid (退票) is marked failed with the bank's reason and
sent again to the institution's corrected account; the last reason is kept on the row, every return and
every account it was sent to in its transitions. ``attempt`` counts the sendings, so that a return of an
earlier sending cannot be applied to the instruction sent again. A re-issue is sent to the bank only once
内审 has reviewed it (``reissue_approved_by``, never its maker, ``reissued_by``).

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("reissued_by", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("reissue_approved_by", sa.String(length=60), nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    returned = conn.execute(sa.text("SELECT COUNT(*) FROM payment_instruction WHERE state = 'failed'")).scalar()
    if returned:
        raise RuntimeError(f"{returned} 笔拨付指令处于银行退票状态：请先重新拨付或作废，再降级")
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_column("reissue_approved_by")
        batch_op.drop_column("reissued_by")
        batch_op.drop_column("attempt")
        batch_op.drop_column("failure_reason")
