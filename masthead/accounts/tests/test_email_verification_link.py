from django.test import Client

from masthead.accounts.tests.conftest import link_in, log_in, logged_in

NEW = "new.reader@example.com"
NEW_PASSWORD = "a-long-new-password"


def test_it_verifies_the_address_through_the_emailed_link(client, db, mailoutbox):
    client.post("/accounts/signup/", {"email": NEW, "password1": NEW_PASSWORD})
    link = link_in(mailoutbox[0], "/accounts/confirm-email/")

    # Opening the link asks for a click (a mail scanner following links confirms nothing).
    page = client.get(link)
    assert page.status_code == 200
    assert NEW in page.content.decode()
    assert client.post(link).status_code == 302
    # The browser that signed up is logged in by confirming there.
    assert logged_in(client)

    # Any other browser may now log in with the password.
    elsewhere = Client()
    assert log_in(elsewhere, NEW, NEW_PASSWORD)["Location"] == "/"
    assert logged_in(elsewhere)


def test_it_refuses_a_made_up_link(client, db):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code == 200
    assert "expired or is invalid" in response.content.decode()
