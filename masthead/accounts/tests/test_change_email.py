from allauth.account.models import EmailAddress

from masthead.accounts.tests.conftest import link_in

NEW = "moved@example.com"


def test_it_changes_the_email_address_once_the_new_one_is_confirmed(client, verified_reader, mailoutbox):
    client.force_login(verified_reader)
    response = client.post("/accounts/email/", {"action_add": "", "email": NEW})
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == [NEW]
    verified_reader.refresh_from_db()
    assert verified_reader.email == "reader@example.com"  # unchanged until confirmed

    client.post(link_in(message, "/accounts/confirm-email/"))

    verified_reader.refresh_from_db()
    assert verified_reader.email == NEW
    assert verified_reader.username == NEW
    assert list(EmailAddress.objects.filter(user=verified_reader).values_list("email", "verified", "primary")) == [
        (NEW, True, True)
    ]
