"""Policy profiles stored in the database, versioned and append-only; a campaign records the version
and SHA-256 of the profile it was opened with. The packaged profiles are stored here, and campaigns
opened before this revision are tied to the version they ran on.

Revision ID: 0011
Revises: 0010
"""
import hashlib

import sqlalchemy as sa
from alembic import op

import accounting.schema
from accounting import guards
from prepay_admin.profiles import packaged_texts, profile_from_text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PROFILE_APPEND_ONLY = "政策参数方案的已存版本不能修改或删除，修订请新增版本"


def upgrade() -> None:
    profiles = op.create_table(
        "policy_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("added_by", sa.String(length=60), nullable=False),
        sa.Column("added_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_profile")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_policy_profile_name_version")),
    )
    conn = op.get_bind()
    stored = {}
    for text in packaged_texts().values():
        profile = profile_from_text(text)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        stored[profile.name] = (profile.version, sha)
        conn.execute(profiles.insert().values(
            name=profile.name, version=profile.version, title=profile.title, source=profile.source, content=text,
            sha256=sha, added_by="packaged", added_at=accounting.schema.utcnow()))
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("profile_sha256", sa.String(length=64), nullable=True))
    campaign = sa.table("campaign", sa.column("id"), sa.column("profile"), sa.column("profile_version"),
                        sa.column("profile_sha256"))
    for name, (version, sha) in stored.items():
        conn.execute(campaign.update().where(campaign.c.profile == name)
                     .values(profile_version=version, profile_sha256=sha))
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.alter_column("profile_version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("profile_sha256", existing_type=sa.String(length=64), nullable=False)
    guards.guard_table(conn, "policy_profile", PROFILE_APPEND_ONLY)


def downgrade() -> None:
    guards.unguard_table(op.get_bind(), "policy_profile")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("profile_sha256")
        batch_op.drop_column("profile_version")
    op.drop_table("policy_profile")
