"""Formatting amounts for the sandbox's staff page."""

from __future__ import annotations

# ISO 4217 currencies without a minor unit: an amount of 500 JPY is ¥500, not ¥5.00.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)


def format_minor(amount: int, currency: str) -> str:
    """``1,234.50 USD`` for 123450 minor units of USD; ``500 JPY`` for 500 of JPY."""
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency}"
    major, minor = divmod(amount, 100)
    return f"{major:,}.{minor:02d} {currency}"
