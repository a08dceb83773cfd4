"""Least privilege on PostgreSQL: the role the application connects as may read and append the ledger,
never change or remove what was posted, nor touch the guards.

Migrations run as the schema's owner (who owns the tables and their triggers); the application runs as
another role, granted here: SELECT and INSERT on the append-only ledger tables and on the history
(audit trail, transitions, sign-offs, the register of issued documents), UPDATE only of the columns that
record a sign-off's voiding or a document's supersession, SELECT, INSERT, UPDATE and DELETE on every other
table, USAGE on the sequences — and nothing else. Not owning the tables, it can
neither drop nor disable a trigger; not a superuser, it cannot set ``session_replication_role``.
"""
from __future__ import annotations

import re

from sqlalchemy.engine import Connection

from .guards import APPEND_ONLY_TABLES, HISTORY_TABLES

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_application_role(conn: Connection, role: str, schema: str = "public") -> None:
    """Grant ``role`` (an existing login role) what the application needs and no more; safe to repeat."""
    if conn.dialect.name != "postgresql":
        raise ValueError("只有 PostgreSQL 区分数据库角色")
    if not ROLE_NAME.match(role):
        raise ValueError(f"角色名“{role}”须为小写字母、数字和下划线")
    tables = [name for (name,) in conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = %(s)s", {"s": schema})]
    # every table the guards made append-only: the ledger's, and any other a migration guarded
    guarded = set(APPEND_ONLY_TABLES) | {name for (name,) in conn.exec_driver_sql(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %(s)s AND t.tgname = c.relname || '_no_update'", {"s": schema})}
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    # nobody but the owner creates objects in the schema (PostgreSQL ≤ 14 let PUBLIC): no function of the
    # role's can shadow one the guards call
    conn.exec_driver_sql(f'REVOKE CREATE ON SCHEMA "{schema}" FROM PUBLIC')
    conn.exec_driver_sql(f'REVOKE CREATE ON SCHEMA "{schema}" FROM "{role}"')
    conn.exec_driver_sql(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
    for table in tables:
        rights = "SELECT, INSERT" if table in guarded else "SELECT, INSERT, UPDATE, DELETE"
        conn.exec_driver_sql(f'GRANT {rights} ON "{schema}"."{table}" TO "{role}"')
        if table in guarded and HISTORY_TABLES.get(table):  # a supersession is recorded in these only
            columns = ", ".join(f'"{c}"' for c in HISTORY_TABLES[table])
            conn.exec_driver_sql(f'GRANT UPDATE ({columns}) ON "{schema}"."{table}" TO "{role}"')
    conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
