"""The bytes written straight onto the SMTP session parse back, with the standard library's own parser, into
exactly the subject, addresses, headers and bodies they were made from, whatever the subject or names hold."""

import email
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.newsletters import compose
from masthead.newsletters.models import Newsletter

UNSUBSCRIBE = "https://news.example.com/newsletters/unsubscribe/42:abcdefghijklmnopqrstuvwxyz0123456789/"
TEXT = "Bonjour, café crème – 東京.\n\nRead the story: https://news.example.com/a/\nUnsubscribe: {}\n"
HTML = '<p>Bonjour, café crème – 東京.</p>\n<p><a href="{}">Unsubscribe</a></p>\n'


def wire(subject: str, *, name: str = "The Briefing", from_name: str = "Zoë at the Desk", to="zoe@example.com"):
    """The message's wire bytes, and the message itself."""
    newsletter = Newsletter(name=name, slug="briefing", from_name=from_name, from_email="desk@example.com")
    rendered = compose.Rendered(
        subject=subject,
        html=HTML.format(compose.UNSUBSCRIBE_PLACEHOLDER),
        text=TEXT.format(compose.UNSUBSCRIBE_PLACEHOLDER),
    )
    mail = compose.message(rendered, newsletter=newsletter, to=to, unsubscribe_url=UNSUBSCRIBE)
    assert isinstance(mail.message(policy=email.policy.SMTP), compose.WireMessage)
    return compose.WireMessage(mail).as_bytes(), mail


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def assert_well_formed(raw: bytes) -> None:
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b""), "bare CR or LF"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    # Folded under 78 octets, but for the unsubscribe URL, which must stay one unencoded token.
    assert max(len(line) for line in head if not line.startswith(b"List-Unsubscribe:")) <= 78


@pytest.mark.parametrize(
    "subject",
    [
        "This week",
        "Grüße: 東京の朝, and the café crème",
        "A very long subject " * 60,  # 1,200 characters: must be folded, never one line over 998 octets
        "Très long sujet, élan et café " * 40,
        "x" * 1500,  # no space to fold at
    ],
    ids=["ascii", "non-ascii", "long", "long-non-ascii", "long-unbroken"],
)
def test_it_parses_back_to_what_it_was_made_from(subject):
    raw, mail = wire(subject)
    assert_well_formed(raw)
    message = parse(raw)

    assert message.defects == []
    assert str(message["Subject"]) == " ".join(subject.split())
    assert str(message["From"]) == "Zoë at the Desk <desk@example.com>"
    assert message["From"].addresses[0].addr_spec == "desk@example.com"
    assert str(message["To"]) == "zoe@example.com"
    assert str(message["Message-ID"]) == mail.extra_headers["Message-ID"]
    assert str(message["List-Unsubscribe"]) == f"<{UNSUBSCRIBE}>"
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(message["List-Id"]) == "The Briefing <briefing.127.0.0.1>"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content() == TEXT.format(UNSUBSCRIBE)
    assert html.get_content() == HTML.format(UNSUBSCRIBE)


def test_it_keeps_the_list_id_outside_an_encoded_name():
    raw, _ = wire("Hello", name="Café – 東京")
    message = parse(raw)
    assert str(message["List-Id"]) == "Café – 東京 <briefing.127.0.0.1>"
    # The id itself stays readable to a mail program that does not decode the name.
    line = next(line for line in raw.split(b"\r\n") if line.startswith(b"List-Id:"))
    assert line.endswith(b" <briefing.127.0.0.1>")


@pytest.mark.parametrize(
    ("subject", "from_name"),
    [
        ("Hello\r\nBcc: victim@example.com", "The Desk"),
        ("Hello\nX-Injected: yes", "The Desk"),
        ("Hello", "The Desk\r\nBcc: victim@example.com"),
        ("Hello\u2028Bcc: victim@example.com", "Desk\x0bBcc: x@example.com"),
    ],
)
def test_it_lets_no_line_break_start_a_header(subject, from_name):
    raw, _ = wire(subject, from_name=from_name)
    assert_well_formed(raw)
    message = parse(raw)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["From"].addresses[0].addr_spec == "desk@example.com"
    assert [a.addr_spec for a in message["To"].addresses] == ["zoe@example.com"]


def test_it_leaves_an_internationalised_address_to_djangos_writer():
    newsletter = Newsletter(name="The Briefing", slug="briefing", from_email="desk@example.com")
    rendered = compose.Rendered(subject="Hello", html="<p>Hi</p>", text="Hi\n")
    mail = compose.message(rendered, newsletter=newsletter, to="zoë@exämple.com", unsubscribe_url=UNSUBSCRIBE)
    assert not isinstance(mail.message(policy=email.policy.SMTP), compose.WireMessage)
    mail = compose.message(rendered, newsletter=newsletter, to="zoe@exämple.com", unsubscribe_url=UNSUBSCRIBE)
    written = mail.message(policy=email.policy.SMTP).as_bytes()
    assert b"To: zoe@xn--exmple-cua.com" in written


@settings(max_examples=150, deadline=None)
@given(
    subject=st.text(min_size=1, max_size=400).filter(lambda s: s.split()),
    name=st.text(max_size=60),
)
def test_it_parses_back_whatever_the_subject_and_name(subject, name):
    raw, _ = wire(subject, from_name=name)
    assert_well_formed(raw)
    message = parse(raw)
    assert str(message["Subject"]) == " ".join(subject.split())
    assert [a.addr_spec for a in message["From"].addresses] == ["desk@example.com"]
    assert [a.addr_spec for a in message["To"].addresses] == ["zoe@example.com"]
    assert str(message["List-Unsubscribe"]) == f"<{UNSUBSCRIBE}>"
    plain, html = message.iter_parts()
    assert plain.get_content() == TEXT.format(UNSUBSCRIBE)
