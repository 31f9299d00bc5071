import json

from django.test import Client

from masthead.accounts.actions import account_email_verify


def test_it_exports_the_readers_own_data_and_nobody_elses(client, verified_reader, django_user_model, billing):
    other = django_user_model.objects.create_user(email="someone.else@example.com", password="x-password-x")
    account_email_verify(reader=other)
    Client(HTTP_USER_AGENT="Someone else's browser").force_login(other)
    client.force_login(verified_reader)

    response = client.get("/account/export.json", HTTP_USER_AGENT="Reader's browser")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == verified_reader.email
    assert data["email_addresses"] == [{"email": verified_reader.email, "verified": True, "primary": True}]
    assert any(session["current"] for session in data["sessions"])
    assert data["meter"]["articles_counted"] == 0
    assert data["billing"] == {"subscriptions": [], "for": verified_reader.email}
    assert "someone.else" not in response.content.decode()


def test_it_asks_an_anonymous_visitor_to_log_in(visitor, db):
    response = visitor.get("/account/export.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
