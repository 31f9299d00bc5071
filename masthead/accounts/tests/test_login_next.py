from masthead.accounts.tests.conftest import PASSWORD, logged_in


def test_it_returns_to_the_story_after_logging_in(client, verified_reader):
    # The paywall's "Log in" button links to /accounts/login/?next=<the story>.
    page = client.get("/accounts/login/", {"next": "/politics/a-story/"}).content.decode()
    assert 'name="next" value="/politics/a-story/"' in page

    response = client.post(
        "/accounts/login/", {"login": verified_reader.email, "password": PASSWORD, "next": "/politics/a-story/"}
    )

    assert logged_in(client)
    assert response["Location"] == "/politics/a-story/"


def test_it_never_returns_to_another_site(client, verified_reader):
    response = client.post(
        "/accounts/login/", {"login": verified_reader.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
