from masthead.accounts.tests.conftest import link_in, log_in, logged_in

NEW = "new.reader@example.com"
NEW_PASSWORD = "a-long-new-password"


def test_it_sends_a_verification_email_and_refuses_password_login_until_verified(client, db, mailoutbox, settings):
    response = client.post("/accounts/signup/", {"email": NEW, "password1": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not logged_in(client)
    [message] = mailoutbox
    assert message.to == [NEW]
    assert message.subject == f"{settings.PUBLICATION_NAME}: Confirm your email address"
    assert not message.alternatives  # plain text only
    assert link_in(message, "/accounts/confirm-email/")

    # A fresh browser with the right password is sent to verify first, not let in.
    client.logout()
    response = log_in(client, NEW, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not logged_in(client)
