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
                                     security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"))
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
                              security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"), sign=False)
    bulk = _determinations(sessions, codes)
    assert {v[0] for v in bulk.values()} == {"secured"}
    for code in codes:  # the same security registered again, one by one: the same capped amounts
        again = signing.register_security(sessions, REGION, YEAR, code, SecurityKind.PLEDGE, bulk[code][3],
                                          "通抵押〔2026〕9号", ON, "jiesuan2")
        assert sum((a.final for a in again.amounts), D(0)) == bulk[code][4]


def test_15_3_one_institution_refused_refuses_the_selection_naming_it_and_nothing_is_written(sessions):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:3]
    with pytest.raises(Refused) as err:
        signing.register_and_sign(sessions, REGION, YEAR, [*codes, "H99999999999"], ON, "jiesuan2",
                                  security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"))
    assert err.value.problems == [("机构 H99999999999", f"不在 {YEAR} 年度核定结果中")]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SecurityPledge).where(SecurityPledge.registration_ref == "通抵押〔2026〕9号")) == 0
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
                                  security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"))
    assert err.value.field == "on"
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "caiwu1",
                                  security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"))
    assert err.value.field == "user"
    with pytest.raises(ServiceError) as err:
        signing.register_and_sign(sessions, REGION, YEAR, [], ON, "jiesuan2")
    assert err.value.field == "institution"


def _signed_and_issued(sessions, n=4):
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:n]
    signing.register_and_sign(sessions, REGION, YEAR, codes, ON, "jiesuan2",
                              security=(SecurityKind.PLEDGE, "通抵押〔2026〕9号"))
    instructions = pay_batch(sessions)
    with sessions() as s:
        batch_id = s.scalar(select(PaymentInstruction.batch_id).where(PaymentInstruction.id == instructions[0]))
    return codes, batch_id, instructions


def test_15_4_selected_instructions_are_confirmed_in_one_step_one_voucher_each_and_a_replay_posts_nothing(sessions):
    codes, batch_id, instructions = _signed_and_issued(sessions)
    chosen = instructions[:3]
    done = payment_return.confirm_selected(sessions, batch_id, chosen, "DF20260126001", dt.date(YEAR, 1, 26), "caiwu1")
    assert (done.confirmed, done.replayed) == (3, 0)
    with sessions() as s:
        paid = s.scalars(select(PaymentInstruction).where(PaymentInstruction.id.in_(chosen))).all()
        assert {p.state for p in paid} == {"paid"} and all(p.ledger_entry_id for p in paid)
        assert sorted(p.bank_ref for p in paid) == sorted(f"DF20260126001-{i}" for i in chosen)
        assert done.amount == sum((p.amount for p in paid), D(0))
    again = payment_return.confirm_selected(sessions, batch_id, chosen, "DF20260126001", dt.date(YEAR, 1, 26), "caiwu1")
    assert (again.confirmed, again.replayed) == (0, 3)
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []


def test_15_4_a_selection_with_a_voided_or_foreign_instruction_is_refused_naming_each(sessions):
    codes, batch_id, instructions = _signed_and_issued(sessions)
    payment.void(sessions, instructions[0], "caiwu1", "账户有误")
    with pytest.raises(Refused) as err:
        payment_return.confirm_selected(sessions, batch_id, [instructions[0], instructions[1], 999_999],
                                        "DF1", dt.date(YEAR, 1, 26), "caiwu1")
    assert [p for p, _ in err.value.problems] == [f"拨付指令 {instructions[0]}", "拨付指令 999999"]
    with sessions() as s:
        assert s.scalar(select(PaymentInstruction.state).where(PaymentInstruction.id == instructions[1])) == "pending"
    with pytest.raises(ServiceError) as err:
        payment_return.confirm_selected(sessions, batch_id, [instructions[1]], "DF1", dt.date(YEAR, 1, 26), "jiesuan1")
    assert err.value.field == "user"
