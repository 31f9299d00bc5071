"""Money is shown as readers expect: symbol or code, the currency's own decimals, and thousands separators."""

import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.lib.money import format_money, minor_digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (99, "USD", "$0.99"),
        (1500, "USD", "$15.00"),
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (123456, "USD", "$1,234.56"),
        (-500, "USD", "-$5.00"),  # a refund or a credit
        (900, "EUR", "€9.00"),
        (1500, "GBP", "£15.00"),
        (900, "JPY", "¥900"),  # zero-decimal: 900 minor units are 900 yen
        (150000, "KRW", "₩150,000"),
        (1200, "CHF", "12.00 CHF"),  # no symbol known: the code, after the number
        (1200, "CAD", "12.00 CAD"),  # "$" would be ambiguous
        (1234, "KWD", "1.234 KWD"),  # three decimals
        (99, "usd", "$0.99"),  # gateways write codes in lower case
    ],
)
def test_it_formats_minor_units_in_the_currencys_own_style(amount, currency, expected):
    assert format_money(amount, currency) == expected


@pytest.mark.parametrize("amount", [9.99, decimal.Decimal("9.99"), True, "999"])
def test_it_refuses_anything_but_an_int_of_minor_units(amount):
    with pytest.raises(TypeError, match="minor units"):
        format_money(amount, "USD")


@pytest.mark.parametrize("currency", ["", "US", "USDX", "U$D", "12A", None])
def test_it_refuses_a_currency_that_is_not_three_letters(currency):
    with pytest.raises(ValueError, match="ISO 4217"):
        format_money(100, currency)


@given(amount=st.integers(-(10**12), 10**12), currency=st.sampled_from(["USD", "EUR", "JPY", "CHF", "KWD"]))
def test_it_round_trips_to_the_same_amount(amount, currency):
    text = format_money(amount, currency)
    number = text.removesuffix(f" {currency}").lstrip("-").lstrip("$€¥").replace(",", "")
    value = decimal.Decimal(number) * 10 ** minor_digits(currency)
    assert int(value) * (-1 if text.startswith("-") else 1) == amount
