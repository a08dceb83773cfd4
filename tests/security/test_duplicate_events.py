"""Issue 28 finding 10: the same event recorded at once by ten requests (different idempotency keys) is
one event: the region's lock serialises them and each later one finds the first."""
import datetime as dt

from sqlalchemy import func, select

from prepay_admin.models import Determination, Institution, RecoveryTrigger
from prepay_admin.policy.recovery import TriggerKind
from prepay_admin.services import triggers
from prepay_admin.services.demo import load_demo
from tests.integration.test_ledger_concurrency import at_once


def test_28_ten_identical_triggers_at_once_are_one_trigger(sessions):
    load_demo(sessions, institutions=6, seed=2026, year=2026)
    with sessions() as s:
        code = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()
    results, errors = at_once(10, lambda i: triggers.record_trigger(
        sessions, "320600", code, TriggerKind.ASSET_SEIZURE, dt.date(2026, 3, 2), "财保 1 号", "jihe1"))
    assert errors == []
    assert len({r.trigger_id for r in results}) == 1 and sum(1 for r in results if not r.replayed) == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecoveryTrigger)) == 1
