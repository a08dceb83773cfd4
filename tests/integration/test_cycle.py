"""The annual cycle end to end: a whole January in the demo region (RULES §4; 15§, 16§, 24§)."""
import datetime as dt
import json
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting import reports
from accounting.ledger import get_book
from accounting.verify import verify
from prepay_admin import scheduler
from prepay_admin.models import (
    Agreement,
    Application,
    Determination,
    DeterminationAdvance,
    Institution,
    PaymentBatch,
    Transition,
)
from prepay_admin.policy.facts import Fund, SecurityKind
from prepay_admin.queries.ledger import audit
from prepay_admin.services import applications, batch, determination, payment, signing
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.unit_of_work import find_campaign, find_region
from tests.cycle_helpers import REGION, YEAR, listed_codes, listed_through_fixing, region_ready, secure_and_sign

JOB = {j.name: j for j in scheduler.JOBS}


def sign(sessions, batch_id, user, comment="同意"):
    """Sign the batch as seen now (the screen passes its hash for the signer)."""
    return batch.sign_off(sessions, batch_id, user, comment, batch.current_hash(sessions, batch_id))


def test_a_whole_january_from_applications_to_payment_matches_the_ledger(sessions):
    rows = listed_through_fixing(sessions)
    assert len(rows) >= 3
    missed = rows[0]
    not_signing = len(listed_codes(sessions)) - len(rows)  # listed, but nothing acceptable to pledge
    signers = secure_and_sign(sessions, rows[1:])
    not_signing += len(rows) - 1 - len(signers)  # a pledge that caps the advance below the minimum

    # the window closes on 14 January; the sweep of the 15th marks those who did not register and sign
    swept = scheduler.run_job(sessions, JOB["deadline_sweep"], dt.date(YEAR, 1, 15), "test")
    assert swept.given_up == 1 + not_signing
    assert scheduler.run_job(sessions, JOB["deadline_sweep"], dt.date(YEAR, 1, 15), "test-2") is None

    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    sign(sessions, batch_id, "jiesuan1", "提请审核")
    sign(sessions, batch_id, "caiwu1", "资金已落实，审核申报")  # 24§(一): Nantong's chain (RULES §4)
    sign(sessions, batch_id, "neishen1", "流程合规")
    sign(sessions, batch_id, "yibaoju1", "确认（盖章）")
    sign(sessions, batch_id, "caizhengju1", "确认（盖章）")
    instructions = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))
    for n, instruction_id in enumerate(instructions):
        payment.confirm(sessions, instruction_id, f"BANK{n:04d}", dt.date(YEAR, 1, 26), "caiwu1")

    with sessions() as s:
        campaign = find_campaign(s, find_region(s, REGION), YEAR)
        states = dict(s.execute(select(Institution.code, Determination.state)
                                .join(Determination, Determination.institution_id == Institution.id)
                                .where(Determination.campaign_id == campaign.id)).all())
        assert states[missed[0]] == "given_up"
        assert all(states[code] == "paid" for code, *_ in signers)
        determined = {
            (code, fund): amount for code, fund, amount in s.execute(
                select(Institution.code, DeterminationAdvance.fund, DeterminationAdvance.final_amount)
                .join(Determination, Determination.id == DeterminationAdvance.determination_id)
                .join(Institution, Institution.id == Determination.institution_id)
                .where(Determination.state == "paid"))
        }
        for fund in Fund:
            book = get_book(s, REGION, fund).id
            tb = reports.trial_balance(s, book, f"{YEAR}-01", f"{YEAR}-12")
            assert tb.balanced
            advance = next(r for r in tb.rows if r.name == "暂付款—医保预付金")
            expected = {code: amt for (code, f), amt in determined.items() if f == fund and amt > 0}
            assert advance.closing == sum(expected.values(), D(0))
            for code, amount in expected.items():
                statement = reports.institution_statement(s, book, code, f"{YEAR}-01", f"{YEAR}-12")
                assert statement.closing == amount
                assert [m.debit for m in statement.movements] == [amount]
        assert verify(s) == []
        assert s.scalar(select(func.count()).select_from(Agreement)) == len(signers)
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []  # 13§: nobody holds more than its security


def test_every_change_of_state_is_recorded_with_who_and_why(sessions):
    rows = listed_through_fixing(sessions, institutions=30)
    secure_and_sign(sessions, rows[:1])
    with sessions() as s:
        det = s.scalar(select(Determination).join(Institution).where(
            Institution.code == rows[0][0], Determination.state == "signed"))
        log = s.scalars(select(Transition).where(Transition.machine == "determination",
                                                 Transition.object_id == det.id).order_by(Transition.id)).all()
    assert [(t.from_state, t.to_state, t.actor) for t in log] == [
        (None, "computed", "jiesuan1"), ("computed", "listed", "jiesuan1"),
        ("listed", "secured", "jiesuan2"), ("secured", "signed", "jiesuan2"),
    ]
    assert log[2].reason.startswith(rows[0][3])  # the registration reference


def test_15_1_an_application_after_the_deadline_is_refused(sessions):
    region_ready(sessions, institutions=5)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    with pytest.raises(ServiceError) as err:
        applications.apply(sessions, REGION, YEAR, "H32060000001", applications.clean_answers(), dt.date(YEAR, 1, 1), "jiesuan1")
    assert err.value.field == "submitted_on" and "2025-12-31 截止" in err.value.message


def test_an_application_without_the_commitment_names_the_answer(sessions):
    region_ready(sessions, institutions=5)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    answers = applications.clean_answers() | {"commitment": False, "asset_seizure": "无"}
    with pytest.raises(ServiceError) as err:
        applications.apply(sessions, REGION, YEAR, "H32060000001", answers, dt.date(YEAR - 1, 12, 1), "jiesuan1")
    assert "/commitment" in err.value.message and "/asset_seizure" in err.value.message
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0


def test_24_each_step_is_done_by_its_department(sessions):
    region_ready(sessions, institutions=5)
    with pytest.raises(ServiceError) as err:
        open_campaign(sessions, REGION, YEAR, "jiesuan1")
    assert "财务管理部门" in err.value.message and err.value.field == "user"
    with pytest.raises(ServiceError):
        open_campaign(sessions, REGION, YEAR, "nobody")


def test_9_a_closed_fund_produces_no_advances(sessions):
    from sqlalchemy import update

    from prepay_admin.models import FundPositionRecord

    region_ready(sessions, institutions=20)
    with sessions.begin() as s:
        s.execute(update(FundPositionRecord).where(FundPositionRecord.fund == Fund.RESIDENT)
                  .values(last_year_current_balance=D("-1.00")))
    opened = open_campaign(sessions, REGION, YEAR, "caiwu1")
    assert {g.fund: g.open for g in opened.gates} == {Fund.EMPLOYEE: True, Fund.RESIDENT: False}
    with sessions() as s:
        codes = s.scalars(select(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28), "jiesuan1")
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    with sessions() as s:
        resident = s.scalars(select(DeterminationAdvance).where(DeterminationAdvance.fund == Fund.RESIDENT)).all()
    assert resident and all(a.amount == 0 and "fund_closed" in a.reasons_json for a in resident)


def test_determination_reruns_until_the_list_is_fixed_then_never(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    with pytest.raises(ServiceError) as err:
        determination.determine(sessions, REGION, YEAR, "jiesuan1")
    assert "名单已确定" in err.value.message
    with sessions() as s:
        superseded = s.scalar(select(func.count()).select_from(Determination).where(Determination.state == "superseded"))
    assert superseded == 0 and rows


def test_a_rerun_supersedes_the_earlier_results_and_keeps_its_snapshot(sessions):
    region_ready(sessions, institutions=10)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    for code in ("H32060000001", "H32060000002"):
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28), "jiesuan1")
    first = determination.determine(sessions, REGION, YEAR, "jiesuan1")
    second = determination.determine(sessions, REGION, YEAR, "jiesuan1")
    assert (first.run, second.run) == (1, 2)
    with sessions() as s:
        by_state = dict(s.execute(select(Determination.state, func.count()).group_by(Determination.state)).all())
        snapshot = json.loads(s.scalar(select(Determination.facts_json).where(Determination.run == 2).limit(1)))
    assert by_state == {"superseded": 2, "computed": 2}
    assert snapshot["code"] == "H32060000001" and snapshot["payouts"]


def test_15_2_the_list_is_fixed_by_5_january(sessions):
    region_ready(sessions, institutions=5)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    applications.apply(sessions, REGION, YEAR, "H32060000001", applications.clean_answers(), dt.date(YEAR - 1, 12, 28), "jiesuan1")
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    with pytest.raises(ServiceError) as err:
        determination.fix_list(sessions, REGION, YEAR, "jiesuan1", dt.date(YEAR, 1, 6))
    assert "2026-01-05 前确定" in err.value.message


def test_15_3_signing_after_the_seventh_working_day_is_refused(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    with pytest.raises(ServiceError) as err:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 15), "jiesuan2")
    assert "2026-01-14" in err.value.message and err.value.field == "on"
    signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 14), "jiesuan2")


def test_13_the_registered_security_caps_both_funds_together(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    done = signing.register_security(sessions, REGION, YEAR, code, SecurityKind.PLEDGE, D("150000.00"), "抵押2026-1",
                                     dt.date(YEAR, 1, 8), "jiesuan2")
    determined = sum((a.determined for a in done.amounts), D(0))
    assert determined > D("150000")
    # one pledge of 150,000 for the whole institution: never 150,000 per fund
    assert sum((a.final for a in done.amounts), D(0)) == D("150000.00")
    assert sorted(a.final for a in done.amounts) == [D("0.00"), D("150000.00")]
    with sessions() as s:
        advances = s.scalars(select(DeterminationAdvance).join(Determination).join(Institution)
                             .where(Institution.code == code, Determination.state == "secured")).all()
    # the determined figures stay as they were; the registered security's effect is kept beside them
    assert sum((a.amount for a in advances), D(0)) == determined
    assert all(a.final_cap == D("150000.00") and "capped_by_security" in a.final_reasons_json
               for a in advances if a.amount > 0)


def test_16_a_running_agreement_covers_the_next_year(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    secure_and_sign(sessions, rows[:1])
    with sessions() as s:
        agreement = s.scalar(select(Agreement))
    assert (agreement.first_year, agreement.last_year) == (YEAR, YEAR + 2)


def test_15_3_under_nantong_signing_needs_the_security_first(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    with pytest.raises(ServiceError) as err:
        signing.sign(sessions, REGION, YEAR, rows[0][0], dt.date(YEAR, 1, 8), "jiesuan2")
    assert "须先办理担保、抵押手续" in err.value.message


def test_hb_the_hebei_cycle_takes_applications_in_early_january_and_signs_without_a_security(sessions):
    from prepay_admin.services.demo import load_demo
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    load_demo(sessions, institutions=30, seed=7, year=YEAR, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    ensure_demo_staff(sessions)
    open_campaign(sessions, "130100", YEAR, "caiwu1")
    with sessions() as s:
        codes = s.scalars(select(Institution.code).order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, "130100", YEAR, code, applications.clean_answers(), dt.date(YEAR, 1, 9), "jiesuan1")
    with pytest.raises(ServiceError):  # HB 二(三): 1月上旬
        applications.apply(sessions, "130100", YEAR, codes[0], applications.clean_answers(), dt.date(YEAR, 1, 11), "jiesuan1")
    determination.determine(sessions, "130100", YEAR, "jiesuan1")
    campaign = determination.fix_list(sessions, "130100", YEAR, "jiesuan1", dt.date(YEAR, 1, 19))
    assert campaign.signing_deadline == dt.date(YEAR, 1, 28)
    with sessions() as s:
        campaign = find_campaign(s, find_region(s, "130100"), YEAR)
        first = s.scalar(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.campaign_id == campaign.id, Determination.state == "listed")
                         .order_by(Institution.code).limit(1))
    agreement = signing.sign(sessions, "130100", YEAR, first, dt.date(YEAR, 1, 20), "jiesuan2")
    assert (agreement.first_year, agreement.last_year) == (YEAR, YEAR)  # Hebei: determined year by year
    batch_id = batch.prepare(sessions, "130100", YEAR, "jiesuan1")
    with sessions() as s:
        items = s.get(PaymentBatch, batch_id).items
        assert items and all(i.amount == i.determined > 0 for i in items)


def test_an_applicant_without_this_years_standing_is_named_not_silently_dropped(sessions):
    from prepay_admin.models import AnnualStanding

    region_ready(sessions, institutions=10)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    for code in ("H32060000001", "H32060000002"):
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28), "jiesuan1")
    with sessions.begin() as s:
        inst = s.scalar(select(Institution).where(Institution.code == "H32060000002"))
        s.delete(s.scalar(select(AnnualStanding).where(AnnualStanding.institution_id == inst.id)))
    with pytest.raises(ServiceError) as err:
        determination.determine(sessions, REGION, YEAR, "jiesuan1")
    assert "H32060000002" in err.value.message and "考核结果" in err.value.message
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Determination)) == 0
