from masthead.accounts.tests.conftest import log_in


def test_it_shows_the_profile_billing_newsletters_sessions_export_and_deletion(client, verified_reader, billing):
    log_in(client, verified_reader.email)

    response = client.get("/account/")

    assert response.status_code == 200
    assert response.context["billing"] is None  # billing's own summary, passed through
    html = response.content.decode()
    assert verified_reader.email in html and "Verified" in html
    for heading in ["Subscription and billing", "Newsletters", "Devices and sessions", "Export my data"]:
        assert heading in html
    assert 'action="/newsletters/preferences/"' in html or "There are no newsletters yet" in html
    assert 'href="/accounts/sessions/"' in html
    assert 'href="/account/export.json"' in html and 'href="/account/delete/"' in html


def test_it_offers_to_resend_the_confirmation_for_an_unverified_address(reader_client, reader, billing):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=reader).update(verified=False)
    html = reader_client.get("/account/").content.decode()
    assert "Not verified" in html
    assert 'name="action_send"' in html


def test_it_asks_an_anonymous_visitor_to_log_in(visitor, db):
    response = visitor.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/"
