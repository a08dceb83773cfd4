"""Database triggers that make the ledger's invariants hold whoever writes to it.

- entries, lines and memos are append-only: UPDATE and DELETE (and TRUNCATE on
  PostgreSQL) are refused;
- nothing is posted into a closed period;
- on PostgreSQL, a deferred constraint trigger refuses at commit an entry that
  does not balance or has fewer than two lines. SQLite cannot defer a check to
  commit, so there the service checks it and ``ledger verify`` recomputes it.

Installed by migration 0002 (``install``) and listed by ``trigger_names`` so
that ``verify`` can report one that has gone missing. Migrations call this
module, so a change to a guard needs a new migration that removes and
reinstalls the guards; editing one here alone changes nothing in a database
that is already migrated.
"""
from __future__ import annotations

from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES = ("ledger_entry", "ledger_line", "ledger_writeoff_memo", "ledger_writeoff_recovery",
                      "ledger_chain")
# what migration 0002 guarded, before the memo register kept later recoveries (0008)
FIRST_TABLES = APPEND_ONLY_TABLES[:3]
CLOSED_PERIOD_MESSAGE = "会计期间已结账，不能在已结账期间记账"
APPEND_ONLY_MESSAGE = "账簿只增不改：已记账的凭证不能修改或删除，请用冲销凭证更正"

_OPEN_PERIOD_CONDITION = (
    "NEW.period <= (SELECT MAX(c.period) FROM ledger_period_closure c "
    "WHERE c.book_id = NEW.book_id AND c.reopened_at IS NULL)"
)


def trigger_names(dialect: str, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> list[str]:
    names = [f"{t}_no_{op}" for t in tables for op in ("update", "delete")]
    names.append("ledger_entry_open_period")
    if dialect == "postgresql":
        names += [f"{t}_no_truncate" for t in tables]
        names += ["ledger_line_balanced", "ledger_entry_balanced"]
    return names


def _sqlite(conn: Connection, tables: tuple[str, ...]) -> None:
    for table in tables:
        guard_table(conn, table)
    conn.exec_driver_sql(
        f"CREATE TRIGGER ledger_entry_open_period BEFORE INSERT ON ledger_entry "
        f"WHEN {_OPEN_PERIOD_CONDITION} BEGIN SELECT RAISE(ABORT, '{CLOSED_PERIOD_MESSAGE}'); END"
    )


def _pg(conn: Connection, sql: str) -> None:
    # psycopg reads % as a placeholder; plpgsql's RAISE uses it for its arguments
    conn.exec_driver_sql(sql.replace("%", "%%"))


def _postgresql(conn: Connection, tables: tuple[str, ...]) -> None:
    _pg(conn, f"""
        CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}（% %）', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END $$""")
    for table in tables:
        guard_table(conn, table)
    _pg(conn, f"""
        CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_OPEN_PERIOD_CONDITION} THEN
                RAISE EXCEPTION '{CLOSED_PERIOD_MESSAGE}（%）', NEW.period USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$""")
    _pg(conn, 
        "CREATE TRIGGER ledger_entry_open_period BEFORE INSERT ON ledger_entry "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period()"
    )
    _pg(conn, """
        CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            -- one function for both tables: read the entry's id by name, as plpgsql
            -- would refuse NEW.entry_id on a ledger_entry row even in an untaken branch
            eid integer := (to_jsonb(NEW) ->> CASE WHEN TG_TABLE_NAME = 'ledger_entry' THEN 'id' ELSE 'entry_id' END)::integer;
            d bigint; c bigint; n integer;
        BEGIN
            SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*) INTO d, c, n
              FROM ledger_line WHERE entry_id = eid;
            IF n < 2 OR d <> c THEN
                RAISE EXCEPTION '凭证 % 借贷不平衡或分录少于两条（借 %，贷 %，% 条）', eid, d, c, n
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$""")
    for table in ("ledger_line", "ledger_entry"):
        name = "ledger_line_balanced" if table == "ledger_line" else "ledger_entry_balanced"
        _pg(conn, 
            f"CREATE CONSTRAINT TRIGGER {name} AFTER INSERT ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()"
        )


def guard_table(conn: Connection, table: str, message: str = APPEND_ONLY_MESSAGE) -> None:
    """Make one more table append-only (a later migration's new ledger table, or another record that
    may only be superseded, with its own ``message``)."""
    if conn.dialect.name == "postgresql":
        function = "ledger_refuse_change"
        if message != APPEND_ONLY_MESSAGE:
            function = f"{table}_refuse_change"
            _pg(conn, f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                      f"BEGIN RAISE EXCEPTION '{message}'; END $$")
        for op in ("update", "delete"):
            _pg(conn, f"CREATE TRIGGER {table}_no_{op} BEFORE {op.upper()} ON {table} "
                      f"FOR EACH ROW EXECUTE FUNCTION {function}()")
        _pg(conn, f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                  f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
        return
    for op in ("update", "delete"):
        conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_{op} BEFORE {op.upper()} ON {table} "
                             f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


# Issue 28 (finding 5): the records that prove who did what, and what was issued, may only be added to.
# A sign-off is voided, and a document superseded, by filling the columns named here once, from empty;
# no other change, no deletion. The application's role gets UPDATE on those columns only.
HISTORY_TABLES: dict[str, tuple[str, ...]] = {
    "audit_event": (),
    "transition": (),
    "presettlement_sign_off": (),
    "payment_batch_sign_off": ("voided_at", "void_reason"),
    "issued_document": ("superseded_by_id",),
}
# what a supersession must look like (the review of issue 28: "any value, once" let a row be marked
# superseded by itself, or a sign-off half-voided so that it could never be voided): a void names its
# time and reason together; a document is superseded only by a later one of its region, kind and subject
SUPERSESSION = {
    "payment_batch_sign_off": "NEW.voided_at IS NOT NULL AND NEW.void_reason IS NOT NULL",
    "issued_document": ("NEW.superseded_by_id > OLD.id AND EXISTS (SELECT 1 FROM issued_document later "
                        "WHERE later.id = NEW.superseded_by_id AND later.region_id = OLD.region_id "
                        "AND later.kind = OLD.kind AND later.subject = OLD.subject)"),
}
# The SQLite guard lists the table's columns when it is installed: a migration that adds a column to one
# of these tables must reinstall its guard (unguard_table, then guard_history).
HISTORY_MESSAGE = "历史记录只增不改：审计日志、状态变更、签批和已出具文书的登记不能修改或删除"


# other records that may only be superseded, guarded by the migrations that made them (0011, 0016)
SUPERSEDED_ONLY = ("policy_profile", "held_payment")


def history_trigger_names(dialect: str) -> list[str]:
    """The guards ``verify`` expects besides the ledger's: the history, and the stored profiles and the
    register of held payments."""
    ops = ("update", "delete", "truncate") if dialect == "postgresql" else ("update", "delete")
    return [f"{t}_no_{op}" for t in (*HISTORY_TABLES, *SUPERSEDED_ONLY) for op in ops]


def guard_history(conn: Connection, table: str) -> None:
    """Make ``table`` append-only but for its supersession columns (``HISTORY_TABLES``), each settable
    once from empty, all in the same statement."""
    supersede = HISTORY_TABLES[table]
    if not supersede:
        guard_table(conn, table, HISTORY_MESSAGE)
        return
    if conn.dialect.name == "postgresql":
        unset = " AND ".join(f"OLD.{c} IS NULL" for c in supersede)
        keep = " OPERATOR(pg_catalog.-) ".join(["pg_catalog.to_jsonb(NEW)"] + [f"'{c}'::text" for c in supersede])
        was = " OPERATOR(pg_catalog.-) ".join(["pg_catalog.to_jsonb(OLD)"] + [f"'{c}'::text" for c in supersede])
        # pg_catalog first: a function or operator the application's role created in the schema cannot
        # stand in for the built-in ones (CVE-2018-1058)
        _pg(conn, f"""
            CREATE OR REPLACE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql
            SET search_path = pg_catalog, public AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND {unset} AND ({keep}) OPERATOR(pg_catalog.=) ({was})
                   AND {SUPERSESSION[table]} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{HISTORY_MESSAGE}（% %）', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END $$""")
        for op in ("update", "delete"):
            _pg(conn, f"CREATE TRIGGER {table}_no_{op} BEFORE {op.upper()} ON {table} "
                      f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()")
        _pg(conn, f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                  f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()")
        return
    columns = [row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns if c not in supersede)
    refilled = " OR ".join(f"OLD.{c} IS NOT NULL" for c in supersede)
    conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                         f"WHEN {changed} OR {refilled} OR NOT ({SUPERSESSION[table]}) "
                         f"BEGIN SELECT RAISE(ABORT, '{HISTORY_MESSAGE}'); END")
    conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                         f"BEGIN SELECT RAISE(ABORT, '{HISTORY_MESSAGE}'); END")


def unguard_table(conn: Connection, table: str) -> None:
    for op in ("update", "delete", "truncate"):
        if op == "truncate" and conn.dialect.name != "postgresql":
            continue
        on = f" ON {table}" if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{op}{on}")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")


def install(conn: Connection, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    {"sqlite": _sqlite, "postgresql": _postgresql}[conn.dialect.name](conn, tables)


def remove(conn: Connection, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> None:
    """Drop every guard (the migration's downgrade, and tests that plant a breach)."""
    for name in trigger_names(conn.dialect.name, tables):
        if conn.dialect.name == "postgresql":
            table = name.rsplit("_no_", 1)[0] if "_no_" in name else (
                "ledger_line" if name == "ledger_line_balanced" else "ledger_entry")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    if conn.dialect.name == "postgresql":
        for fn in ("ledger_refuse_change", "ledger_refuse_closed_period", "ledger_check_balanced"):
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}()")


def installed(conn: Connection) -> set[str]:
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    else:
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {r[0] for r in rows}
