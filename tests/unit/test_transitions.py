"""Every workflow is an explicit transition table: each (state, action) pair is allowed or refused."""
import pytest

from prepay_admin.policy.transitions import BATCH, DETERMINATION, MACHINES, PAYMENT, IllegalTransition

PAIRS = [(m, s, a) for m in MACHINES for s in m.states for a in m.actions]


@pytest.mark.parametrize("machine, state, action", PAIRS, ids=[f"{m.name}:{s}:{a}" for m, s, a in PAIRS])
def test_every_state_action_pair_is_either_in_the_table_or_refused_clearly(machine, state, action):
    if (state, action) in machine.table:
        assert machine.next(state, action) == machine.table[(state, action)]
    else:
        with pytest.raises(IllegalTransition) as err:
            machine.next(state, action)
        message = str(err.value)
        assert machine.label(state) in message and machine.label(action) in message
        assert "当前状态" in message


def test_every_state_and_action_has_a_chinese_label():
    for m in MACHINES:
        for key in (*m.states, *m.actions):
            assert m.label(key) != key, (m.name, key)


def test_15_3_only_a_listed_or_secured_institution_can_be_deemed_to_have_given_up():
    assert {s for (s, a) in DETERMINATION.table if a == "give_up"} == {"listed", "secured"}


def test_24_5_the_batch_reaches_approval_only_through_the_four_levels_in_order():
    state, path = "draft", ["submit", "review", "confirm_administration", "confirm_finance"]
    for action in path:
        state = BATCH.next(state, action)
    assert state == "approved"
    with pytest.raises(IllegalTransition):
        BATCH.next("reviewed", "confirm_finance")  # no level may be skipped
    with pytest.raises(IllegalTransition):
        BATCH.next("draft", "issue")  # nothing is paid before the last sign-off


def test_a_paid_or_voided_instruction_is_final():
    assert PAYMENT.actions_from("paid") == () and PAYMENT.actions_from("voided") == ()
