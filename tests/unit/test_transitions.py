"""Every workflow is an explicit transition table. The expected tables are written out here, by
hand from 15§, 16§ and 24§, so that a change to a table is a change a test sees."""
import pytest

from prepay_admin.policy.transitions import (
    AGREEMENT,
    APPLICATION,
    BATCH,
    CAMPAIGN,
    DETERMINATION,
    MACHINES,
    PAYMENT,
    IllegalTransition,
)

EXPECTED = {
    "campaign": {("open", "fix_list"): "list_fixed"},
    "application": {("submitted", "withdraw"): "withdrawn", ("submitted", "decide"): "decided"},
    "determination": {
        ("computed", "supersede"): "superseded", ("computed", "list"): "listed",
        ("computed", "leave_off"): "not_listed",
        ("listed", "register_security"): "secured", ("secured", "register_security"): "secured",
        ("secured", "sign"): "signed", ("listed", "sign"): "signed",
        ("listed", "give_up"): "given_up", ("secured", "give_up"): "given_up",
        ("signed", "pay"): "paid",
        ("signed", "roll_over"): "paid",
        # 20§(二)2: a recovery trigger stops an advance not yet paid
        ("listed", "stop"): "stopped", ("secured", "stop"): "stopped", ("signed", "stop"): "stopped",
    },
    "agreement": {("active", "expire"): "expired", ("active", "terminate"): "terminated"},
    # 24§(五), RULES §4: the levels and their order are the profile's chain (tests/unit/test_signoff.py);
    # the table only says that signing ends in approval, and that a change or a return starts again
    "batch": {
        ("draft", "edit"): "draft", ("draft", "sign"): "signing", ("signing", "sign"): "signing",
        ("signing", "approve"): "approved", ("signing", "reject"): "draft", ("signing", "edit"): "draft",
        ("approved", "issue"): "paying", ("paying", "complete"): "paid",
    },
    # issue 30: the bank returns a transfer unpaid (退票); it is re-issued or given up
    "payment": {("pending", "confirm"): "paid", ("pending", "void"): "voided", ("pending", "bounce"): "failed",
                ("failed", "reissue"): "pending", ("failed", "void"): "voided",
                ("pending", "approve_reissue"): "pending"},
    # RULES §5, §6; 20§(二): demand, then lawsuit or bankruptcy claim, then write-off; a successor takes it over
    "receivable": {
        ("open", "demand"): "demanded", ("demanded", "demand"): "demanded",
        ("demanded", "sue"): "litigation", ("demanded", "claim_in_bankruptcy"): "bankruptcy_claim",
        ("open", "settle"): "recovered", ("demanded", "settle"): "recovered", ("litigation", "settle"): "recovered",
        ("bankruptcy_claim", "settle"): "recovered",
        ("open", "transfer"): "transferred", ("demanded", "transfer"): "transferred",
        ("litigation", "write_off"): "written_off", ("bankruptcy_claim", "write_off"): "written_off",
    },
    # 26§: the first case the bureau approves itself; the second goes up to the finance bureau
    "presettlement": {
        ("draft", "sign"): "signing", ("signing", "sign"): "signing", ("signing", "approve"): "approved",
        ("signing", "reject"): "rejected", ("approved", "pay"): "paid",
    },
    # DEPOSIT.md: a deposit check's finding; a notice may carry it again, and nothing reopens a closed one
    "deposit_finding": {
        ("new", "notify"): "notified", ("notified", "notify"): "notified", ("new", "rectify"): "rectified",
        ("notified", "rectify"): "rectified", ("new", "clear"): "cleared", ("notified", "clear"): "cleared",
        ("new", "lapse"): "lapsed", ("notified", "lapse"): "lapsed",
    },
    # GZ 16: proposed by 基金结算, approved or returned by 医保行政; a new proposal supersedes any
    "grassroots_table": {
        ("proposed", "approve"): "approved", ("proposed", "return"): "returned", ("proposed", "supersede"): "superseded",
        ("approved", "supersede"): "superseded", ("returned", "supersede"): "superseded",
    },
}
BY_NAME = {m.name: m for m in MACHINES}
ALLOWED = [(name, s, a, t) for name, table in EXPECTED.items() for (s, a), t in table.items()]
REFUSED = [(name, s, a) for name, table in EXPECTED.items()
           for s in {x for pair in table for x in (pair[0],)} | set(table.values())
           for a in {pair[1] for pair in table} if (s, a) not in table]


def test_each_machine_allows_exactly_the_expected_moves():
    assert {m.name: dict(m.table) for m in MACHINES} == EXPECTED


@pytest.mark.parametrize("name, state, action, target", ALLOWED, ids=[f"{n}:{s}:{a}" for n, s, a, _ in ALLOWED])
def test_an_allowed_move_reaches_its_state(name, state, action, target):
    assert BY_NAME[name].next(state, action) == target


@pytest.mark.parametrize("name, state, action", REFUSED, ids=[f"{n}:{s}:{a}" for n, s, a in REFUSED])
def test_any_other_move_is_refused_naming_the_state_and_the_action_in_chinese(name, state, action):
    machine = BY_NAME[name]
    with pytest.raises(IllegalTransition) as err:
        machine.next(state, action)
    message = str(err.value)
    assert "当前状态" in message and machine.label(state) in message and machine.label(action) in message


def test_every_state_and_action_has_a_chinese_label():
    for m in MACHINES:
        for key in (*m.states, *m.actions):
            assert m.label(key) != key, (m.name, key)


def test_15_3_only_a_listed_or_secured_institution_can_be_deemed_to_have_given_up():
    assert {s for (s, a) in DETERMINATION.table if a == "give_up"} == {"listed", "secured"}


def test_24_5_the_batch_reaches_approval_only_by_signing():
    assert BATCH.next(BATCH.next(BATCH.next("draft", "sign"), "sign"), "approve") == "approved"
    with pytest.raises(IllegalTransition):
        BATCH.next("draft", "approve")  # the maker alone never approves
    with pytest.raises(IllegalTransition):
        BATCH.next("draft", "issue")  # nothing is paid before the last sign-off


def test_a_state_of_the_old_fixed_review_keeps_its_label_in_the_audit_trail():
    assert BATCH.label("reviewed") == "内审通过（待医保局确认）" and BATCH.label("confirm_finance") == "财政部门确认"


def test_final_states_allow_nothing():
    assert PAYMENT.actions_from("paid") == () and PAYMENT.actions_from("voided") == ()
    assert DETERMINATION.actions_from("paid") == () and DETERMINATION.actions_from("given_up") == ()
    assert AGREEMENT.actions_from("terminated") == () and CAMPAIGN.actions_from("list_fixed") == ()
    assert APPLICATION.actions_from("withdrawn") == ()
