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


def test_migration_0027_gives_each_earlier_run_the_groups_it_keeps_since(backend):
    """Rule 3's base (GZ 18): every current run made before 0027 gets each hospital × group's admissions and cost
    of its window's last year from the settlements, as a run computes them now; a superseded run, read by
    nothing, gets none."""
    from alembic import command
    from sqlalchemy import select

    from prepay_admin.db import make_session_factory
    from prepay_admin.models import DepositGroup
    from prepay_admin.services.demo import load_demo
    from prepay_admin.services.deposit import compute_reference
    from tests.integration.test_discharges_intake import REGION, _month_of_settlements, imported

    url = backend.empty_url()
    try:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        load_demo(sessions, institutions=4, seed=1, year=2026, play=False)
        assert imported(sessions, _month_of_settlements()).error_count == 0
        compute_reference(sessions, REGION, 2026, "jiesuan1")
        compute_reference(sessions, REGION, 2025, "jiesuan1")
        compute_reference(sessions, REGION, 2026, "jiesuan1")  # supersedes the first

        def groups():
            with sessions() as session:
                return sorted((g.run_id, g.institution_id, g.group_code, g.admissions, g.cost)
                              for g in session.scalars(select(DepositGroup)))

        kept = groups()
        # 2026's runs: 2025's 8 employees' stays, the netted one, the 2 异地 ones, the 3 residents (at 8,000); the
        # wholly refunded one is none
        assert {g[1:] for g in kept if g[0] != 2} == {(kept[0][1], "GB19", 14, 8 * 10000 + 11000 + 2 * 10000
                                                       + 3 * 8000)}
        engine.dispose()
        command.downgrade(alembic_config(url=url), "0026")
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        assert groups() == [g for g in kept if g[0] != 1]  # run 1: superseded by run 3
        engine.dispose()
    finally:
        backend.drop(url)
