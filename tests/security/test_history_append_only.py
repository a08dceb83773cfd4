"""Issue 28 finding 5: the audit trail, the transitions, the sign-offs and the register of issued
documents cannot be erased or rewritten, by the application or by its PostgreSQL role."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from accounting import guards
from prepay_admin.policy.facts import Fund
from prepay_admin.policy.recovery import PresettlementCase
from prepay_admin.services import documents, presettlement
from prepay_admin.services.demo import load_demo
from tests.signing_helpers import presettlement_signers

ATTACKS = [
    "DELETE FROM audit_event",
    "UPDATE audit_event SET detail = 'nothing happened'",
    "DELETE FROM transition",
    "UPDATE transition SET actor = 'somebody else'",
    "DELETE FROM payment_batch_sign_off",
    "UPDATE payment_batch_sign_off SET batch_hash = 'forged'",
    "UPDATE payment_batch_sign_off SET voided_at = CURRENT_TIMESTAMP, void_reason = 'erased', signer = 'x'",
    "DELETE FROM presettlement_sign_off",
    "UPDATE issued_document SET sha256 = 'forged'",
    "DELETE FROM issued_document",
]


@pytest.fixture
def played(sessions):
    """A demo year played through: sign-offs, transitions, audit events and issued documents exist."""
    load_demo(sessions, institutions=4, seed=2026, year=2026)
    with sessions() as s:
        code = s.execute(text("SELECT institution_code FROM payment_instruction WHERE state = 'paid' "
                              "ORDER BY id LIMIT 1")).scalar()
    done = presettlement.propose(sessions, "320600", code, Fund.EMPLOYEE, dt.date(2026, 11, 1),
                                 PresettlementCase.CANNOT_SETTLE, D("20000.00"), D("10000.00"), "jiesuan1",
                                 budget_left=D("20000.00"), reason="结算系统改造")
    signer = presettlement_signers(sessions, done.presettlement_id)[0]
    presettlement.sign_off(sessions, done.presettlement_id, signer, "同意",
                           presettlement.current_hash(sessions, done.presettlement_id))
    documents.issue(sessions, "public_list", "320600", "jiesuan1", year=2026)
    documents.issue(sessions, "agreement", "320600", "jiesuan1", year=2026, institution=code)
    return sessions


def _count(sessions, table: str) -> int:
    with sessions() as s:
        return s.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


@pytest.mark.parametrize("attack", ATTACKS)
def test_28_the_history_refuses_every_erasure_and_rewrite(played, engine, attack):
    table = attack.split()[2] if attack.startswith("DELETE") else attack.split()[1]
    assert _count(played, table) > 0, f"the demo left no {table} to attack"
    with pytest.raises(DatabaseError) as refused:
        with engine.begin() as conn:
            conn.exec_driver_sql(attack)
    assert "只增不改" in str(refused.value)


def test_28_a_void_and_a_supersession_are_recorded_once_and_never_undone(played, engine):
    with played() as s:
        first = s.execute(text("SELECT MIN(id) FROM issued_document WHERE kind = 'public_list'")).scalar()
    again = documents.issue(played, "public_list", "320600", "jiesuan1", year=2026)  # the service supersedes
    with engine.begin() as conn:  # and a batch sign-off is voided by filling its void columns once
        conn.exec_driver_sql("UPDATE payment_batch_sign_off SET voided_at = CURRENT_TIMESTAMP, void_reason = 'x' "
                             "WHERE id = (SELECT MIN(id) FROM payment_batch_sign_off)")
        assert conn.exec_driver_sql(f"SELECT superseded_by_id FROM issued_document WHERE id = {first}").scalar() \
            == again.id
    for undo in ("UPDATE payment_batch_sign_off SET voided_at = NULL, void_reason = NULL "
                 "WHERE id = (SELECT MIN(id) FROM payment_batch_sign_off)",
                 "UPDATE payment_batch_sign_off SET void_reason = 'another reason' "
                 "WHERE id = (SELECT MIN(id) FROM payment_batch_sign_off)",
                 f"UPDATE issued_document SET superseded_by_id = NULL WHERE id = {first}",
                 f"UPDATE issued_document SET superseded_by_id = {first} WHERE id = {first}"):
        with pytest.raises(DatabaseError):
            with engine.begin() as conn:
                conn.exec_driver_sql(undo)


def test_28_verify_names_a_history_guard_that_went_missing(played, engine):
    from accounting.verify import verify

    with engine.begin() as conn:
        guards.unguard_table(conn, "audit_event")
    with played() as s:
        missing = [b.message for b in verify(s) if b.code == "guard_missing"]
    assert any("audit_event_no_delete" in m for m in missing)


@pytest.mark.postgresql_only
def test_28_the_application_role_can_neither_erase_nor_rewrite_history(played, engine):
    """After ``db grant-app-role`` the role may add to the history and record a supersession, nothing
    else (it does not own the tables, so it cannot drop or disable the guards either)."""
    from accounting.privileges import grant_application_role

    role = f"prepay_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        grant_application_role(conn, role)
    try:
        for attack in ATTACKS + ["ALTER TABLE audit_event DISABLE TRIGGER ALL",
                                 "DROP TRIGGER audit_event_no_delete ON audit_event",
                                 "UPDATE issued_document SET sha256 = 'forged', superseded_by_id = NULL"]:
            with pytest.raises(DatabaseError) as refused:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"SET LOCAL ROLE {role}")
                    conn.exec_driver_sql(attack)
            assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value), attack
        with engine.begin() as conn:  # what the application does remains possible
            conn.exec_driver_sql(f"SET LOCAL ROLE {role}")
            conn.exec_driver_sql("INSERT INTO audit_event (at, actor, kind, detail) VALUES (now(), 'a', 'login', 'x')")
            # issuing a document again: the new one is registered, the one it replaces points to it
            first = conn.exec_driver_sql("SELECT MIN(id) FROM issued_document WHERE superseded_by_id IS NULL"
                                         ).scalar()
            later = conn.exec_driver_sql(
                "INSERT INTO issued_document (region_id, kind, subject, institution_id, year, file_name, sha256, "
                "source_json, template_sha256, generated_by, generated_at) "
                "SELECT region_id, kind, subject, institution_id, year, file_name, sha256, source_json, "
                f"template_sha256, generated_by, now() FROM issued_document WHERE id = {first} RETURNING id"
            ).scalar()
            done = conn.exec_driver_sql(f"UPDATE issued_document SET superseded_by_id = {later} "
                                        f"WHERE id = {first} AND superseded_by_id IS NULL")
            assert done.rowcount == 1
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


@pytest.mark.parametrize("forgery", [
    "UPDATE issued_document SET superseded_by_id = id WHERE superseded_by_id IS NULL",  # superseded by itself
    "UPDATE payment_batch_sign_off SET void_reason = 'half' WHERE voided_at IS NULL",  # a half void
    "UPDATE payment_batch_sign_off SET voided_at = CURRENT_TIMESTAMP WHERE voided_at IS NULL",
])
def test_28_a_supersession_must_name_a_later_document_and_a_void_its_time_and_reason(played, engine, forgery):
    with pytest.raises(DatabaseError):
        with engine.begin() as conn:
            conn.exec_driver_sql(forgery)


def test_28_sqlite_replace_cannot_rewrite_history(played, engine):
    """REPLACE deletes the row it replaces; with recursive triggers on, the guard sees that delete."""
    if engine.dialect.name != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    with pytest.raises(DatabaseError):
        with engine.begin() as conn:
            first = conn.exec_driver_sql("SELECT MIN(id) FROM audit_event").scalar()
            conn.exec_driver_sql(f"REPLACE INTO audit_event (id, at, actor, kind, detail) "
                                 f"VALUES ({first}, CURRENT_TIMESTAMP, 'mallory', 'login', 'forged')")
