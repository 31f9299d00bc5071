from masthead.accounts.tests.conftest import PASSWORD, log_in, logged_in


def test_it_refuses_logins_after_repeated_failures(client, verified_reader, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}

    for _ in range(3):
        assert "not correct" in log_in(client, verified_reader.email, "wrong-guess").content.decode()

    # Now even the right password is refused until the limit lifts.
    response = log_in(client, verified_reader.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not logged_in(client)


def test_it_answers_a_flood_of_requests_with_the_too_many_page(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}

    statuses = [log_in(client, "nobody@example.com", "guess").status_code for _ in range(3)]

    assert statuses[-1] == 429
    html = log_in(client, "nobody@example.com", "guess").content.decode()
    assert "Too many attempts" in html and 'class="site-header"' in html
