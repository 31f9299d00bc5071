"""Money for display: an integer number of minor units plus an ISO 4217 code, as readers expect to read it.

Pure: no locale, no settings. ``format_money(99, "USD")`` is ``"$0.99"``; a currency whose symbol masthead does
not know is written with its code after the number, ``"12.00 CHF"``, which is never ambiguous (a bare "$" could
be any of a dozen dollars, so only USD gets it).
"""

from __future__ import annotations

# Currencies whose symbol goes before the number. Kept short on purpose: a symbol shared by several currencies
# (the dollars, the kronor) would be ambiguous, so those are written with their code instead.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩", "INR": "₹"}

# Digits after the decimal point, from ISO 4217, where it is not 2.
_MINOR_DIGITS = {
    **dict.fromkeys(
        ("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()),
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}


def minor_digits(currency: str) -> int:
    """How many digits the currency has after the decimal point: 0 for JPY, 3 for KWD, 2 for most."""
    return _MINOR_DIGITS.get(_code(currency), 2)


def format_money(amount_minor: int, currency: str) -> str:
    """``amount_minor`` minor units of ``currency`` as text: ``"$0.99"``, ``"€1,234.00"``, ``"¥900"``, ``"12.00 CHF"``.

    Negative amounts (refunds, credits) get a leading minus: ``"-$5.00"``. Raises ``TypeError`` for anything but
    an int (a float or Decimal here means someone skipped the conversion to minor units) and ``ValueError`` for a
    currency that is not three letters.
    """
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise TypeError(f"amount_minor must be an int number of minor units, not {type(amount_minor).__name__}")
    code = _code(currency)
    digits = minor_digits(code)
    major, minor = divmod(abs(amount_minor), 10**digits)
    number = f"{major:,}" + (f".{minor:0{digits}d}" if digits else "")
    sign = "-" if amount_minor < 0 else ""
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{number}"
    return f"{sign}{number} {code}"


def _code(currency: str) -> str:
    code = currency.upper() if isinstance(currency, str) else ""
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"currency must be a three-letter ISO 4217 code, like USD, not {currency!r}")
    return code
