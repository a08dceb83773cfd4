"""Issue 30: amounts as people type them on the screens; the files and the API stay strict."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prepay_admin.policy.money import fmt_wan, fmt_yuan_cn, typed_amount


@pytest.mark.parametrize("typed, plain", [
    ("1000000", "1000000"), ("1,000,000.00", "1000000"), ("１，０００，０００．００", "1000000"),
    ("１２３４", "1234"), ("100万", "1000000"), ("1.5万元", "15000"), ("12.3456万", "123456"),
    (" 2,500.5 元", "2500.5"), ("0", "0"), ("-1,000", "-1000"), ("1.2345678万", "12345.678"),
])
def test_30_an_amount_is_read_as_staff_type_it(typed, plain):
    """The plain amount then meets the contract's rules (fen, range) as any amount does: 12345.678 is
    refused there, with the API's message."""
    assert typed_amount(typed) == (plain, None)


@pytest.mark.parametrize("typed, why", [
    ("1,00", "千分位"), ("10,0000", "千分位"), ("1万2", "须为金额"),
    ("一百万", "须为金额"), ("1e6", "须为金额"), ("", "须为金额"), ("=1+1", "须为金额"),
    ("١٢٣٤٥٦", "须为金额"), ("٣,٠٠٠万", "千分位"),  # other scripts' digits are no amount here (review)
])
def test_30_an_amount_that_would_be_a_guess_is_refused_with_the_reason(typed, why):
    plain, reason = typed_amount(typed)
    assert plain is None and why in reason


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_30_what_the_screens_show_is_read_back_as_the_same_amount(value):
    assert Decimal(typed_amount(fmt_yuan_cn(value))[0] or "x") == value
    assert Decimal(typed_amount(f"{value}万")[0] or "x") == value * 10000


def test_30_summaries_are_in_ten_thousand_yuan():
    assert fmt_wan(Decimal("15123456.78")) == "1,512.35"
