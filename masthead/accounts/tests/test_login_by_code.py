from masthead.accounts.tests.conftest import code_in, logged_in


def test_it_logs_in_with_a_code_read_from_the_email(client, verified_reader, mailoutbox, settings):
    response = client.post("/accounts/login/code/", {"email": verified_reader.email})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    [message] = mailoutbox
    assert message.subject == f"{settings.PUBLICATION_NAME}: Your log-in code"

    page = client.get(response["Location"])
    assert verified_reader.email in page.content.decode()
    response = client.post("/accounts/login/code/confirm/", {"code": code_in(message)})

    assert response.status_code == 302
    assert logged_in(client)
    assert int(client.session["_auth_user_id"]) == verified_reader.pk


def test_it_refuses_a_wrong_code(client, verified_reader, mailoutbox):
    client.post("/accounts/login/code/", {"email": verified_reader.email})
    response = client.post("/accounts/login/code/confirm/", {"code": "WRONG1"})
    assert response.status_code == 200
    assert not logged_in(client)
