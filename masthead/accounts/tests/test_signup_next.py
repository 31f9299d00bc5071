from masthead.accounts.tests.conftest import link_in, logged_in


def test_it_returns_to_the_story_after_signing_up_and_confirming(client, db, mailoutbox):
    # The paywall's "Register" button links to /accounts/signup/?next=<the story>.
    page = client.get("/accounts/signup/", {"next": "/politics/a-story/"}).content.decode()
    assert 'name="next" value="/politics/a-story/"' in page
    client.post(
        "/accounts/signup/",
        {"email": "new.reader@example.com", "password1": "a-long-new-password", "next": "/politics/a-story/"},
    )

    response = client.post(link_in(mailoutbox[0], "/accounts/confirm-email/"))

    assert logged_in(client)
    assert response["Location"] == "/politics/a-story/"
