from __future__ import annotations

import re

from django import forms

from masthead.billing.gateways.base import CardDetails
from masthead.lib import clock

EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class CardForm(forms.Form):
    """A card as the reader types it. The details go straight to the gateway and are never stored."""

    card_name = forms.CharField(
        label="Name on card", max_length=100, required=False, widget=forms.TextInput(attrs={"autocomplete": "cc-name"})
    )
    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}),
    )
    card_expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY", "inputmode": "numeric"}),
    )
    card_cvc = forms.CharField(
        label="Security code",
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "size": 5}),
    )

    def clean_card_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError("Enter the long number on the front of your card.")
        return number

    def clean_card_expiry(self) -> tuple[int, int]:
        match = EXPIRY.match(self.cleaned_data["card_expiry"])
        if not match:
            raise forms.ValidationError("Enter the expiry date as MM/YY, for example 04/29.")
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if not 1 <= month <= 12:
            raise forms.ValidationError("The month of the expiry date must be between 01 and 12.")
        today = clock.now()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired. Use another card.")
        return month, year

    def clean_card_cvc(self) -> str:
        cvc = self.cleaned_data["card_cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("Enter the 3 or 4 digit security code from your card.")
        return cvc

    def card(self) -> CardDetails:
        month, year = self.cleaned_data["card_expiry"]
        return CardDetails(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["card_cvc"],
            name=self.cleaned_data.get("card_name", ""),
        )


class CheckoutForm(CardForm):
    """Checkout: an account for a reader who has none, and the card."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    email = forms.EmailField(
        label="Email address", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Choose a password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters.",
    )

    field_order = ["key", "email", "password", "card_name", "card_number", "card_expiry", "card_cvc"]

    def __init__(self, *args, needs_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_account = needs_account
        if needs_account:
            self.fields["email"].required = True
            self.fields["password"].required = True
        else:
            del self.fields["email"]
            del self.fields["password"]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
            raise forms.ValidationError("This form is out of date. Reload the page and try again.")
        return key


class CardUpdateForm(CardForm):
    """A new card for the subscription. The key makes a double submit attach the card once."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    field_order = ["key", "card_name", "card_number", "card_expiry", "card_cvc"]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
            raise forms.ValidationError("This form is out of date. Reload the page and try again.")
        return key
