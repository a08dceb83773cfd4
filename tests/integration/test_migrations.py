"""Alembic is the only schema path: one head, and upgrading leaves nothing for autogenerate."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from accounting import models as ledger_models  # noqa: F401
from prepay_admin import models  # noqa: F401
from prepay_admin.db import Base, make_engine
from prepay_admin.migrate import alembic_config, upgrade


def test_migrations_have_a_single_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrading_an_empty_database_leaves_no_autogenerate_diff(backend):
    url = backend.empty_url()
    try:
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        engine.dispose()
    finally:
        backend.drop(url)


def test_downgrading_to_base_and_upgrading_again_works(backend):
    from alembic import command

    url = backend.empty_url()
    try:
        upgrade(url)
        command.downgrade(alembic_config(url=url), "base")
        upgrade(url)
    finally:
        backend.drop(url)
