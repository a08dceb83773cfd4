"""24§(五), RULES §4: the profile's levels (Nantong: 编制 → 财务审核申报 → 内审 → 医保行政 → 财政) sign in
order, each bound to the batch it saw; maker ≠ checker; nothing paid before the last."""
import pytest
from sqlalchemy import select

from prepay_admin.models import PaymentBatch, SignOff, Staff
from prepay_admin.models.staff import Department
from prepay_admin.services import batch, payment
from prepay_admin.services.errors import ServiceError
from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, secure_and_sign
from tests.signing_helpers import batch_signers


@pytest.fixture
def batch_id(sessions):
    rows = listed_through_fixing(sessions, institutions=40)
    secure_and_sign(sessions, rows[:3])
    return batch.prepare(sessions, REGION, YEAR, "jiesuan1")


def sign(sessions, batch_id, user, comment="同意"):
    """Sign the batch as seen now (the screen passes its hash for the signer)."""
    return batch.sign_off(sessions, batch_id, user, comment, batch.current_hash(sessions, batch_id))


def state(sessions, batch_id):
    with sessions() as s:
        return s.get(PaymentBatch, batch_id).state


def next_level(sessions, batch_id):
    from prepay_admin.queries.cycle import batch_view

    return batch_view(sessions, batch_id).next_level


def test_a_batch_edited_after_two_sign_offs_needs_them_again(sessions, batch_id):
    sign(sessions, batch_id, "jiesuan1", "提请审核")
    assert next_level(sessions, batch_id) == "财务管理部门审核申报"  # 24§(一), Nantong's chain
    sign(sessions, batch_id, "caiwu1", "资金已落实")
    with sessions() as s:
        code = s.get(PaymentBatch, batch_id).items[0].institution_code
    batch.remove_item(sessions, batch_id, code, "jiesuan1", "机构申请暂缓拨付")
    assert state(sessions, batch_id) == "draft"
    with sessions() as s:
        offs = s.scalars(select(SignOff).where(SignOff.batch_id == batch_id)).all()
    assert all(o.voided_at is not None and "移出" in o.void_reason for o in offs) and len(offs) == 2
    with pytest.raises(ServiceError):
        sign(sessions, batch_id, "yibaoju1")  # the administration's turn has not come back
    sign(sessions, batch_id, "jiesuan1", "重新提交")
    sign(sessions, batch_id, "caiwu1", "重新审核申报")
    assert state(sessions, batch_id) == "signing" and next_level(sessions, batch_id) == "内审部门监督审核"


def test_the_same_person_cannot_sign_at_two_levels(sessions, batch_id):
    with sessions.begin() as s:  # an official who also holds a review role must still sign only once
        s.get(Staff, s.scalar(select(Staff.id).where(Staff.username == "jiesuan2"))).department = Department.FINANCE
    sign(sessions, batch_id, "jiesuan1")
    with sessions.begin() as s:
        s.scalar(select(Staff).where(Staff.username == "jiesuan1")).department = Department.FINANCE
    with pytest.raises(ServiceError) as err:
        sign(sessions, batch_id, "jiesuan1")
    assert "同一人不能在两个环节签字" in err.value.message
    sign(sessions, batch_id, "jiesuan2")
    assert state(sessions, batch_id) == "signing" and next_level(sessions, batch_id) == "内审部门监督审核"


def test_a_level_is_signed_only_by_its_department(sessions, batch_id):
    sign(sessions, batch_id, "jiesuan1")
    with pytest.raises(ServiceError) as err:
        sign(sessions, batch_id, "caizhengju1")
    assert "须由财务管理部门办理" in err.value.message


def test_a_sign_off_on_a_batch_that_changed_since_it_was_seen_is_refused(sessions, batch_id):
    with pytest.raises(ServiceError) as err:
        batch.sign_off(sessions, batch_id, "jiesuan1", "提请审核", "0" * 64)
    assert err.value.field == "hash"


def test_24_the_batch_keeps_the_hash_of_its_lines_through_every_change(sessions, batch_id):
    """The screen names the kept hash; it must be the one a signature recomputes from the lines."""
    def kept_and_recomputed():
        with sessions() as s:
            found = s.get(PaymentBatch, batch_id)
            return found.content_hash, batch.batch_hash(found), batch.stored_batch_hash(s, batch_id)

    kept, recomputed, read = kept_and_recomputed()
    assert kept == recomputed == read and len(kept) == 64
    sign(sessions, batch_id, "jiesuan1", "提请审核")
    with sessions() as s:
        code = s.get(PaymentBatch, batch_id).items[0].institution_code
    batch.remove_item(sessions, batch_id, code, "jiesuan1", "机构申请暂缓拨付")
    changed, recomputed, read = kept_and_recomputed()
    assert changed == recomputed == read and changed != kept
    with pytest.raises(ServiceError) as err:  # what the first signer saw is no longer the batch
        batch.sign_off(sessions, batch_id, "jiesuan1", "提请审核", kept)
    assert err.value.field == "hash"


def test_a_rejection_returns_the_batch_with_its_reason(sessions, batch_id):
    for user in ("jiesuan1", "caiwu1", "neishen1"):
        sign(sessions, batch_id, user)
    with pytest.raises(ServiceError):
        batch.reject(sessions, batch_id, "yibaoju1", " ")
    batch.reject(sessions, batch_id, "yibaoju1", "额度与公示名单不一致")
    assert state(sessions, batch_id) == "draft"
    with sessions() as s:
        assert {o.void_reason for o in s.scalars(select(SignOff))} == {"退回：额度与公示名单不一致"}


def test_nothing_is_paid_before_the_last_sign_off(sessions, batch_id):
    *before, last = batch_signers(sessions, batch_id)
    for user in before:
        sign(sessions, batch_id, user)
        with pytest.raises(ServiceError) as err:
            payment.issue(sessions, batch_id, "caiwu1")
        assert "不能执行“生成拨付指令”" in err.value.message
    sign(sessions, batch_id, last)
    assert payment.issue(sessions, batch_id, "caiwu1")
