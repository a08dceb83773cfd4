"""Chinese uppercase money, against 《正确填写票据和结算凭证的基本规定》 and the issue's examples."""
from decimal import Decimal as D

import pytest

from agreements.words import in_words

EXAMPLES = [
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("107000.53", "人民币壹拾万柒仟元零伍角叁分"),
    ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"),
    ("1670000", "人民币壹佰陆拾柒万元整"),
    ("15", "人民币壹拾伍元整"),
    ("0", "人民币零元整"),
    ("0.50", "人民币伍角"),
    ("0.05", "人民币伍分"),
    ("0.55", "人民币伍角伍分"),
    ("1409.05", "人民币壹仟肆佰零玖元零伍分"),
    ("100700", "人民币壹拾万零柒佰元整"),
    ("1007000", "人民币壹佰万柒仟元整"),
    ("10070000", "人民币壹仟零柒万元整"),
    ("100000", "人民币壹拾万元整"),
    ("1000000000", "人民币壹拾亿元整"),
    ("100000001", "人民币壹亿零壹元整"),
    ("300000.00", "人民币叁拾万元整"),
    ("1234567.89", "人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("200000070000", "人民币贰仟亿零柒万元整"),
    ("200070000000", "人民币贰仟亿柒仟万元整"),
]


@pytest.mark.parametrize("amount, words", EXAMPLES)
def test_16_amounts_are_written_in_uppercase_as_the_banking_rules_say(amount, words):
    assert in_words(D(amount)) == words


@pytest.mark.parametrize("bad", [D("-1"), D("1.005"), D("1000000000000"), D("NaN")])
def test_an_amount_that_cannot_be_written_is_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        in_words(bad)


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        in_words(1.5)

