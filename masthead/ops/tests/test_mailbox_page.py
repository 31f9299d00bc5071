"""Staff read the kept mail in the admin's Mailbox; readers cannot, and a message's HTML cannot touch the admin."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail

from masthead.ops.models import MailboxMessage

URL = "/admin/mailbox/"
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_superuser(email="boss@example.com", password="x")


@pytest.fixture
def kept(db):
    older = MailboxMessage.objects.create(
        created_at=T0, from_email="news@example.com", to="a@example.com", subject="Older message", text_body="old"
    )
    newer = MailboxMessage.objects.create(
        created_at=T0 + dt.timedelta(hours=1),
        from_email="news@example.com",
        to="reader@example.com",
        subject="Your receipt",
        message_id="<1@example.com>",
        text_body="Receipt INV-000001, plain",
        html_body='<p class="x">Receipt &amp; "thanks"</p><script>parent.document.title = "owned"</script>',
        headers=[["Subject", "Your receipt"]],
    )
    return older, newer


def test_a_reader_cannot_see_it(reader_client, kept):
    assert reader_client.get(URL).status_code in (302, 403)
    assert reader_client.get(f"{URL}{kept[1].pk}/").status_code in (302, 403)


def test_an_editor_cannot_see_it(client, editor, kept, settings):
    settings.DEMO = True
    client.force_login(editor)
    assert client.get(URL).status_code in (302, 403)  # the admin sends those without permission home
    assert URL not in client.get("/admin/").content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(visitor, kept):
    response = visitor.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_staff_see_the_messages_newest_first(client, staff, kept, settings):
    settings.DEMO = True
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert page.index("Your receipt") < page.index("Older message")
    assert "reader@example.com" in page
    assert URL in client.get("/admin/").content.decode()  # the menu item


def test_the_menu_item_is_hidden_when_mail_is_delivered(client, staff, settings):
    settings.DEMO = False
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}
    client.force_login(staff)
    assert URL not in client.get("/admin/").content.decode()


def test_staff_read_one_message_with_its_html_sandboxed(client, staff, kept):
    client.force_login(staff)
    page = client.get(f"{URL}{kept[1].pk}/").content.decode()
    assert "Receipt INV-000001, plain" in page
    assert "<script>parent" not in page  # only ever inside the escaped srcdoc attribute
    start = page.index("<iframe")
    frame = page[start : page.index("</iframe>", start)]
    assert " sandbox " in frame
    srcdoc = frame.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert html.unescape(srcdoc) == kept[1].html_body


def test_mail_sent_through_django_lands_in_the_mailbox(db, settings):
    settings.MAILERS = {"default": {"BACKEND": "masthead.ops.mailbox.MailboxBackend"}}
    mail.send_mail("Welcome", "Hello in text", None, ["new@example.com"], html_message="<p>Hello in <b>HTML</b></p>")
    kept = MailboxMessage.objects.get()
    assert (kept.subject, kept.to, kept.from_email) == ("Welcome", "new@example.com", settings.DEFAULT_FROM_EMAIL)
    assert kept.text_body.rstrip("\n") == "Hello in text"
    assert kept.html_body.strip() == "<p>Hello in <b>HTML</b></p>"
    assert kept.message_id and ["Subject", "Welcome"] in kept.headers
