"""On PostgreSQL the application connects as a role that can post but never change what was posted, nor
drop the guards (migrations run as the owner)."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from accounting import templates as t
from accounting.ledger import post
from accounting.privileges import grant_application_role
from prepay_admin.db import make_engine, make_session_factory
from tests.ledger_helpers import open_book

pytestmark = pytest.mark.postgresql_only


def test_the_application_role_posts_but_cannot_change_the_ledger_or_its_guards(engine, database_url, sessions):
    book = open_book(sessions)
    role = f"prepay_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        grant_application_role(conn, role)
    app = make_engine(make_url(database_url).set(username=role).render_as_string(hide_password=False))
    try:
        posted = post(make_session_factory(app), book, t.advance_paid("H1", D("100.00"), dt.date(2026, 1, 23), "k"),
                      "k", "caiwu1")
        for sql in (f"UPDATE ledger_entry SET summary = 'x' WHERE id = {posted.entry_id}",
                    f"DELETE FROM ledger_line WHERE entry_id = {posted.entry_id}",
                    "TRUNCATE ledger_chain",
                    "DROP TRIGGER ledger_entry_no_update ON ledger_entry",
                    "ALTER TABLE ledger_entry DISABLE TRIGGER ALL",
                    "SET session_replication_role = replica"):
            with pytest.raises(DBAPIError) as refused, app.begin() as conn:
                conn.execute(text(sql))
            assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value), sql
    finally:
        app.dispose()
        with engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
