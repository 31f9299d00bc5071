from django import template

from masthead.lib.money import format_money

register = template.Library()


@register.filter
def money(amount: int, currency: str) -> str:
    """``{{ invoice.total|money:invoice.currency }}``: minor units as a reader reads them, e.g. $15.00."""
    return format_money(amount, currency)
