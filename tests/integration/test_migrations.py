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
    """And leaves the schema the models describe, guards included (issue 29: a downgrade that forgot
    something would only show in the next migration)."""
    from alembic import command

    from accounting import guards

    url = backend.empty_url()
    try:
        upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            triggers = guards.installed(conn)
        command.downgrade(alembic_config(url=url), "base")
        upgrade(url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert guards.installed(conn) == triggers
        engine.dispose()
    finally:
        backend.drop(url)


def test_migrations_0013_and_0014_fill_what_they_add_as_the_services_do(backend):
    """A played database upgraded again from 0012: each batch gets the hash a signature recomputes from its
    lines (0013), each campaign its run's size and total as the determination kept them (0014)."""
    from alembic import command
    from sqlalchemy import select, update

    from prepay_admin.db import make_session_factory
    from prepay_admin.models import Campaign, PaymentBatch
    from prepay_admin.services import batch
    from prepay_admin.services.demo import load_demo

    url = backend.empty_url()
    try:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        load_demo(sessions, institutions=40, seed=2026, year=2026, years=1)
        with make_session_factory(engine)() as session:
            runs = [(c.run_count, c.run_total) for c in session.scalars(select(Campaign).order_by(Campaign.id))]
        assert runs and all(n > 0 and total > 0 for n, total in runs)
        with sessions.begin() as session:  # the kept hashes forgotten: the migration must find them again
            session.execute(update(PaymentBatch).values(content_hash="x"))
        engine.dispose()
        command.downgrade(alembic_config(url=url), "0012")
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            found = session.scalars(select(PaymentBatch)).all()
            assert found and all(b.content_hash == batch.batch_hash(b) for b in found)
            # 0014: each campaign's run counted again, as determine() kept it
            assert [(c.run_count, c.run_total) for c in session.scalars(select(Campaign).order_by(Campaign.id))] == runs
        engine.dispose()
    finally:
        backend.drop(url)


def test_db_upgrade_warns_when_postgresql_runs_without_autovacuum(database_url, cli_runner):
    """Without autovacuum a grown table keeps an empty table's statistics and prepared plans (README,
    Serving in production): the operator who migrates is told, on PostgreSQL, only when it is off."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        off = engine.dialect.name == "postgresql" and conn.exec_driver_sql("SHOW autovacuum").scalar() != "on"
    engine.dispose()
    result = cli_runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "数据库结构已是最新" in result.output
    assert ("关闭了 autovacuum" in result.output) == off


def test_30_the_first_upgrade_of_a_new_database_says_it_created_the_schema(backend, monkeypatch):
    """Issue 30: a new database's first db upgrade said "数据库结构已是最新" after creating the schema."""
    from click.testing import CliRunner

    from prepay_admin.console import cli

    url = backend.empty_url()
    try:
        monkeypatch.setenv("DATABASE_URL", url)
        first = CliRunner().invoke(cli, ["db", "upgrade"])
        assert first.exit_code == 0 and "已创建数据库结构" in first.output, first.output
        again = CliRunner().invoke(cli, ["db", "upgrade"])
        assert again.exit_code == 0 and "数据库结构已是最新" in again.output
    finally:
        backend.drop(url)
