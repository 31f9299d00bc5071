from django.test import Client

from masthead.accounts.tests.conftest import log_in, logged_in


def test_it_lists_sessions_and_signs_out_everywhere_else(verified_reader):
    laptop, phone = Client(HTTP_USER_AGENT="Laptop browser"), Client(HTTP_USER_AGENT="Phone browser")
    log_in(laptop, verified_reader.email)
    log_in(phone, verified_reader.email)

    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Laptop browser" in page and "Phone browser" in page
    assert "Sign out everywhere else" in page

    assert laptop.post("/accounts/sessions/").status_code == 302

    assert logged_in(laptop)
    assert phone.get("/accounts/sessions/")["Location"].startswith("/accounts/login/")
    assert "Phone browser" not in laptop.get("/accounts/sessions/").content.decode()
