"""Bulk work in the signing window (15§(三), 13§, 16§): a selection's securities registered and its
agreements signed in one step, as one by one would, every institution recorded, all or nothing."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from prepay_admin.models import Agreement, Determination, Institution, PaymentInstruction, SecurityPledge, Transition
from prepay_admin.policy.facts import SecurityKind
from prepay_admin.queries.ledger import audit
from prepay_admin.services import payment, payment_return, signing
from prepay_admin.services.errors import Refused, ServiceError
from tests.cycle_helpers import REGION, YEAR, advance_held, listed_codes, listed_through_fixing, pay_batch

ON = dt.date(YEAR, 1, 8)
LETTER = (SecurityKind.CREDIT_GUARANTEE, "通卫担〔2026〕9号")  # the health commission's letter for its hospitals
COVER = D("100000000.00")


def _determinations(sessions, codes):
    with sessions() as s:
        return {inst.code: (det.state, det.security_id, det.agreement_id,
                            sum((a.amount for a in det.advances), D(0)),
                            sum((a.final_amount or D(0) for a in det.advances), D(0)))
                for det, inst in s.execute(select(Determination, Institution).join(Institution)
                                           .where(Institution.code.in_(codes), Determination.state != "superseded"))}


def test_15_3_a_selection_is_secured_and_signed_in_one_step_each_institution_recorded(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:6]
    done = signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2",
                                     security=LETTER, covered=COVER)
    assert set(done.secured) == set(done.signed) == set(codes) and done.agreements == len(codes)
    found = _determinations(sessions, codes)
    with sessions() as s:
        pledges = {p.id: p for p in s.scalars(select(SecurityPledge))}
        for code in codes:
            state, security_id, agreement_id, determined, final = found[code]
            assert state == "signed" and agreement_id is not None
            # 13§: the security is worth the determined advance, so it caps nothing beyond the rules
            assert pledges[security_id].value == determined and pledges[security_id].valid_until == dt.date(YEAR + 3, 1, 20)
            assert D(0) < final <= determined
        recorded = s.execute(select(Transition.action, func.count()).where(Transition.machine == "determination",
                                                                           Transition.action.in_(("register_security", "sign")))
                             .group_by(Transition.action)).all()
        assert dict(recorded) == {"register_security": len(codes), "sign": len(codes)}
        assert s.scalar(select(func.count()).select_from(Agreement)) == len(codes)
    for n, instruction in enumerate(pay_batch(sessions)):
        payment.confirm(sessions, instruction, f"BANK-{n}", dt.date(YEAR, 1, 26), "caiwu1")
    assert sum(advance_held(sessions, code) for code in codes) == sum(found[c][4] for c in codes)
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []


def test_13_bulk_and_one_by_one_cap_the_same_security_to_the_same_amounts(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:3]
    signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2",
                              security=LETTER, sign=False, covered=COVER)
    bulk = _determinations(sessions, codes)
    assert {v[0] for v in bulk.values()} == {"secured"}
    for code in codes:  # the same security registered again, one by one: the same capped amounts
        again = signing.register_security(sessions, REGION, YEAR, code, SecurityKind.CREDIT_GUARANTEE, bulk[code][3],
                                          "通卫担〔2026〕9号", ON, "jiesuan2")
        assert sum((a.final for a in again.amounts), D(0)) == bulk[code][4]


def test_15_3_one_institution_refused_refuses_the_selection_naming_it_and_nothing_is_written(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:3]
    with pytest.raises(Refused) as err:
        signing.register_and_sign(sessions, REGION, YEAR, [*codes, "H99999999999"], ON, "jiesuan2",
                                  security=LETTER, covered=COVER)
    assert err.value.problems == [("机构 H99999999999", f"不在 {YEAR} 年度核定结果中")]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SecurityPledge).where(SecurityPledge.registration_ref == LETTER[1])) == 0
    assert {v[0] for v in _determinations(sessions, codes).values()} == {"listed"}


def test_10_2_signing_a_selection_without_securities_names_each_that_needs_one(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:2]
    with pytest.raises(Refused) as err:
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2")
    assert [p for p, _ in err.value.problems] == [f"机构 {c}" for c in codes]
    assert all("担保" in m for _, m in err.value.problems)


def test_15_3_a_bulk_step_outside_the_window_or_by_another_department_is_refused(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:2]
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, codes, dt.date(YEAR, 3, 1), "jiesuan2",
                                  security=LETTER, covered=COVER)
    assert err.value.field == "on"
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "caiwu1",
                                  security=LETTER, covered=COVER)
    assert err.value.field == "user"
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, [], ON, "jiesuan2")
    assert err.value.field == "institution"


def _signed_and_issued(sessions, n=4):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:n]
    signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2",
                              security=LETTER, covered=COVER)
    instructions = pay_batch(sessions)
    with sessions() as s:
        batch_id = s.scalar(select(PaymentInstruction.batch_id).where(PaymentInstruction.id == instructions[0]))
    return codes, batch_id, instructions


def _slip(sessions, ids):
    """What the bank's slip (回单) of a transfer paying exactly ``ids`` states: the count and the total."""
    with sessions() as s:
        return dict(paid_count=len(ids), paid_total=sum(s.scalars(select(PaymentInstruction.amount).where(
            PaymentInstruction.id.in_(ids))), D("0.00")))


def _of_one_fund(sessions, ids, fund="employee"):
    with sessions() as s:
        return sorted(s.scalars(select(PaymentInstruction.id).where(PaymentInstruction.id.in_(ids),
                                                                    PaymentInstruction.fund == fund)))


def test_15_4_selected_instructions_are_confirmed_in_one_step_one_voucher_each_and_a_replay_posts_nothing(sessions):
    codes, batch_id, instructions = _signed_and_issued(sessions)
    chosen = _of_one_fund(sessions, instructions)[:3]
    done = payment_return.confirm_selected(sessions, batch_id, chosen, "DF20260126001", dt.date(YEAR, 1, 26), "caiwu1",
                                           **_slip(sessions, chosen))
    assert (done.confirmed, done.replayed) == (3, 0)
    with sessions() as s:
        paid = s.scalars(select(PaymentInstruction).where(PaymentInstruction.id.in_(chosen))).all()
        assert {p.state for p in paid} == {"paid"} and all(p.ledger_entry_id for p in paid)
        assert sorted(p.bank_ref for p in paid) == sorted(f"DF20260126001-{i}" for i in chosen)
        assert done.amount == sum((p.amount for p in paid), D(0))
    again = payment_return.confirm_selected(sessions, batch_id, chosen, "DF20260126001", dt.date(YEAR, 1, 26), "caiwu1",
                                            **_slip(sessions, chosen))
    assert (again.confirmed, again.replayed) == (0, 3)
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []


def test_15_4_nothing_is_confirmed_that_the_banks_slip_does_not_show_paid(sessions):
    codes, batch_id, instructions = _signed_and_issued(sessions)
    employee = _of_one_fund(sessions, instructions)
    resident = _of_one_fund(sessions, instructions, "resident")
    slip = _slip(sessions, employee)
    for wrong, field in ((dict(slip, paid_count=slip["paid_count"] - 1), "paid_count"),  # a line returned unpaid
                         (dict(slip, paid_total=slip["paid_total"] - D("0.01")), "paid_count")):
        with pytest.raises(ServiceError) as err:
            payment_return.confirm_selected(sessions, batch_id, employee, "DF1", dt.date(YEAR, 1, 26), "caiwu1", **wrong)
        assert err.value.field == field and "有退票的请以银行回单文件确认" in err.value.message
    with pytest.raises(ServiceError) as err:  # one transfer debits one account
        both = employee[:1] + resident[:1]
        payment_return.confirm_selected(sessions, batch_id, both, "DF1", dt.date(YEAR, 1, 26), "caiwu1",
                                        **_slip(sessions, both))
    assert "分别确认" in err.value.message
    payment_return.confirm_selected(sessions, batch_id, employee[:1], "DF1", dt.date(YEAR, 1, 26), "caiwu1",
                                    **_slip(sessions, employee[:1]))
    with pytest.raises(ServiceError) as err:  # the same transfer's reference never confirms other instructions
        payment_return.confirm_selected(sessions, batch_id, employee[1:], "DF1", dt.date(YEAR, 1, 26), "caiwu1",
                                        **_slip(sessions, employee[1:]))
    assert err.value.field == "bank_ref"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PaymentInstruction).where(
            PaymentInstruction.state == "paid")) == 1


def test_15_4_a_selection_with_a_voided_or_foreign_instruction_is_refused_naming_each(sessions):
    codes, batch_id, instructions = _signed_and_issued(sessions)
    instructions = _of_one_fund(sessions, instructions)
    payment.void(sessions, instructions[0], "caiwu1", "账户有误")
    with pytest.raises(Refused) as err:
        payment_return.confirm_selected(sessions, batch_id, [instructions[0], instructions[1], 999_999],
                                        "DF1", dt.date(YEAR, 1, 26), "caiwu1", paid_count=3,
                                        paid_total=_slip(sessions, instructions[:2])["paid_total"])
    assert [p for p, _ in err.value.problems] == [f"拨付指令 {instructions[0]}", "拨付指令 999999"]
    with sessions() as s:
        assert s.scalar(select(PaymentInstruction.state).where(PaymentInstruction.id == instructions[1])) == "pending"
    with pytest.raises(ServiceError) as err:
        payment_return.confirm_selected(sessions, batch_id, [instructions[1]], "DF1", dt.date(YEAR, 1, 26), "jiesuan1",
                                        **_slip(sessions, instructions[1:2]))
    assert err.value.field == "user"


def test_10_2_13_a_bulk_security_is_one_credit_guarantee_letter_within_its_total_never_a_pledge_or_a_replacement(
        sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:3]
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2",
                                  security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"), covered=COVER)
    assert err.value.field == "kind"  # a pledge has its own registration and value: one by one
    determined = sum(v[3] for v in _determinations(sessions, codes).values())
    with pytest.raises(Refused) as err:  # 13§: the letter's total must cover what it guarantees
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2", security=LETTER,
                                  covered=determined - D("0.01"))
    assert err.value.problems[0][0] == "担保总额"
    signing.register_security(sessions, REGION, YEAR, codes[0], SecurityKind.PLEDGE, D("200000.00"), "通抵押1", ON,
                              "jiesuan2")  # a real pledge, typed with its value
    with pytest.raises(Refused) as err:  # never replaced by the letter's made-up value
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2", security=LETTER, covered=COVER)
    assert [p for p, _ in err.value.problems] == [f"机构 {codes[0]}"]
    done = signing.register_and_sign(sessions, REGION, YEAR, codes[1:], ON, "jiesuan2", security=LETTER,
                                     covered=determined)  # the others, within the total
    assert set(done.secured) == set(codes[1:])
    assert _determinations(sessions, codes[:1])[codes[0]][4] <= D("200000.00")  # still capped by its own pledge
