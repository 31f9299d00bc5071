from __future__ import annotations

from django import forms

from masthead.accounts.models import User


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for its password again, so an unattended browser cannot do it."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, reader: User, *args, **kwargs):
        self.reader = reader
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.reader.check_password(password):
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password
