"""The sandbox's card rules, pure: Luhn, brands, expiry. No database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.billing.gateways.base import CardDetails, CardError
from masthead.billing.gateways.sandbox import brand_of, check_card, check_expiry, luhn_ok

NOW = dt.datetime(2030, 6, 15, 12, tzinfo=dt.UTC)


def with_check_digit(body: str) -> str:
    """``body`` plus the one digit that makes it pass the Luhn check."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("4000056655665556", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720990000000009", "mastercard"),
        ("378282246310005", "amex"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("6500000000000002", "discover"),
        ("3056930009020004", "unknown"),
        ("2720990000000017", "mastercard"),
        ("2721000000000000", "unknown"),
    ],
)
def test_it_names_brands_by_prefix(number, brand):
    assert brand_of(number) == brand


@given(st.text(alphabet="0123456789", min_size=11, max_size=18), st.integers(min_value=0, max_value=17))
def test_it_detects_any_single_changed_digit(body, position):
    number = with_check_digit(body)
    position %= len(number)
    changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]

    assert luhn_ok(number)
    assert not luhn_ok(changed)


@pytest.mark.parametrize(
    ("month", "year", "code", "message"),
    [
        (5, 2030, "invalid_expiry_month", "Your card's expiration date is in the past."),
        (12, 2029, "invalid_expiry_year", "Your card's expiration date is in the past."),
        (13, 2031, "invalid_expiry_month", "Your card's expiration month is invalid."),
        (0, 2031, "invalid_expiry_month", "Your card's expiration month is invalid."),
        (1, 2090, "invalid_expiry_year", "Your card's expiration year is invalid."),
        (1, -1, "invalid_expiry_year", "Your card's expiration year is invalid."),
    ],
)
def test_it_refuses_a_bad_expiry(month, year, code, message):
    with pytest.raises(CardError) as refused:
        check_expiry(month, year, now=NOW)

    assert (refused.value.code, refused.value.message) == (code, message)


@pytest.mark.parametrize(
    ("month", "year", "expected"), [(6, 2030, (6, 2030)), (1, 31, (1, 2031)), (12, 2080, (12, 2080))]
)
def test_it_accepts_a_good_expiry(month, year, expected):
    assert check_expiry(month, year, now=NOW) == expected


def test_it_checks_the_number_before_the_expiry_and_the_cvc():
    with pytest.raises(CardError) as refused:
        check_card(CardDetails(number="1234", exp_month=13, exp_year=1999, cvc=""), now=NOW, secret="s")

    assert refused.value.code == "incorrect_number"


def test_it_refuses_a_wrong_length_for_the_brand():
    amex_with_sixteen = with_check_digit("371449635398431")

    with pytest.raises(CardError) as refused:
        check_card(CardDetails(number=amex_with_sixteen, exp_month=1, exp_year=2031, cvc="1234"), now=NOW, secret="s")

    assert refused.value.code == "incorrect_number"


def test_it_refuses_a_declined_card_only_after_checking_what_was_typed():
    with pytest.raises(CardError) as refused:
        check_card(CardDetails(number="4000000000000002", exp_month=1, exp_year=2031, cvc="1"), now=NOW, secret="s")

    assert refused.value.code == "invalid_cvc"
