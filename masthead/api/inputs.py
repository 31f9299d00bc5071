"""Types shared by the routers' input schemas.

Every string the API reads is a ``Text``: PostgreSQL can neither store nor
compare a string holding NUL (U+0000), so one is refused here as invalid input
(422) rather than reaching a query and failing there as a server error.
"""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, StringConstraints

Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]


def _email(value: str) -> str:
    try:
        validate_email(value.strip())
    except ValidationError:
        raise ValueError("Enter a valid email address.") from None
    return value


# An address mail may be sent to (Django's own check, as the website's forms make).
Email = Annotated[Text, AfterValidator(_email)]
