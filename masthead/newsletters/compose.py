"""What an issue says: its stories, rendered once as HTML and plain text, and one message per recipient.

THE PAYWALL HOLDS IN EMAIL: a message is a copy nobody can take back, forwarded and archived anywhere, so every
story appears as its headline, dek, lead-in and a link, whatever its access. The lead-in is the article's own
(``ArticlePage.lead_in_blocks`` of the live body under the current meter rules), the same cut the site and the
paywall make; no text past it is ever read here.

An issue is rendered once, with ``UNSUBSCRIBE_PLACEHOLDER`` where each recipient's link goes; ``message`` fills it
in per recipient, so sending 100,000 messages renders the templates once.
"""

from __future__ import annotations

import email.policy
import functools
import re
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

UNSUBSCRIBE_PLACEHOLDER = "mh-unsubscribe-url-placeholder"
READABLE_BLOCKS = {"paragraph", "subheading"}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def mail_domain() -> str:
    """The domain of Message-IDs and List-Id: the public site's host name."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


@dataclass(frozen=True)
class Story:
    """One article as an issue shows it: never more of the body than the lead-in."""

    headline: str
    dek: str
    url: str
    section: str
    lead_in: tuple[str, ...]  # plain-text paragraphs
    locked: bool  # metered or subscribers-only: the rest is on the site


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def issue_articles(issue) -> list:
    """The issue's stories in order: the chosen ones, then the latest ``latest_count`` of its sections.

    Only live, public articles; a story chosen and also among the latest appears once.
    """
    from masthead.content import selectors as content

    chosen_ids = [item.article_id for item in issue.items.all()]
    by_id = {a.pk: a for a in content.live_articles().filter(pk__in=chosen_ids)}
    articles = [by_id[pk] for pk in chosen_ids if pk in by_id]
    sections = list(issue.sections.all()) if issue.pk else []
    if issue.latest_count and sections:
        from django.db.models import Q

        within = Q()
        for section in sections:
            within |= Q(path__startswith=section.path, depth=section.depth + 1)
        latest = content.live_articles().filter(within).exclude(pk__in=[a.pk for a in articles])
        articles += list(latest[: issue.latest_count])
    return content.with_sections(articles)


def story(article, rules) -> Story:
    """``article`` as an issue shows it, cut at the lead-in the site uses under ``rules``."""
    # Worked out afresh, not from the lead-in cache: that is keyed by the latest revision, which may be a draft
    # whose cut differs from the live body's. An issue renders a handful of stories once.
    split = article.lead_in_blocks(rules)
    items = article.body_text_items()[:split]
    return Story(
        headline=article.title,
        dek=article.dek,
        url=absolute(article.url),
        section=getattr(article, "section_title", ""),
        lead_in=tuple(text for kind, text in items if kind in READABLE_BLOCKS and text.strip()),
        locked=not article.is_free,
    )


def render_issue(issue) -> Rendered:
    """The issue's subject and both bodies, with the unsubscribe placeholder in them."""
    from masthead.metering.policy import current_rules

    rules = current_rules()
    stories = [story(article, rules) for article in issue_articles(issue)]
    newsletter = issue.newsletter
    context = {
        "publication_name": settings.PUBLICATION_NAME,
        "language": settings.PUBLICATION_LANGUAGE,
        "site_url": settings.SITE_URL,
        "newsletter": newsletter,
        "newsletter_url": absolute(f"/newsletters/{newsletter.slug}/"),
        "preferences_url": absolute("/account/#newsletters"),
        "subject": issue.subject,
        "intro": [p.strip() for p in re.split(r"\n\s*\n", issue.intro or "") if p.strip()],
        "stories": stories,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    text = render_to_string("newsletters/email/issue.txt", context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = render_to_string("newsletters/email/issue.html", context)
    return Rendered(subject=issue.subject, html=html, text=text)


def message(
    rendered: Rendered,
    *,
    newsletter,
    to: str,
    unsubscribe_url: str,
    message_id: str | None = None,
    subject_prefix: str = "",
) -> EmailMultiAlternatives:
    """The message to one recipient, with their own unsubscribe link and the RFC 8058 one-click headers."""
    message_id = message_id or make_msgid(domain=mail_domain())
    mail = NewsletterMessage(
        subject=_one_line(subject_prefix + rendered.subject),
        body=rendered.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url),
        from_email=newsletter.sender(),
        to=[to],
        headers={
            "Message-ID": message_id,
            "List-Id": f"{_list_phrase(newsletter.name)} <{newsletter.slug}.{mail_domain()}>",
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(rendered.html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url), "text/html")
    return mail


def _one_line(value: str) -> str:
    """``value`` with line breaks made spaces: a header must never carry one (header injection)."""
    return " ".join(value.split())


def _list_phrase(name: str) -> str:
    """The newsletter's name as List-Id's phrase (RFC 2919): one line, without the angle brackets and quotes
    that would make the list's id ambiguous."""
    return _one_line(name.replace("<", " ").replace(">", " ").replace('"', " "))


class NewsletterMessage(EmailMultiAlternatives):
    """A newsletter message, which writes its SMTP form quickly.

    WHY: Django builds a message with the standard library's email package, whose pure-Python header folding,
    line-by-line body encoding and generator cost several milliseconds per message: fine for a receipt, a wall
    for 100,000 recipients. Asked for the SMTP wire form (the SMTP backend passes ``policy=email.policy.SMTP``
    and only calls ``as_bytes()`` on the result), this writes the same message (text and HTML alternatives,
    base64 in UTF-8, the same headers) directly. Every other caller (the mailbox, anymail, the tests' outbox)
    gets Django's own ``message()``.
    """

    @property
    def envelope_sender(self) -> str:
        """The bare address of the sender (SMTP's MAIL FROM)."""
        return _envelope(self.from_email)

    def message(self, *, policy=email.policy.default):
        if policy is not email.policy.SMTP or self.attachments or self.cc or self.reply_to or self.bcc:
            return super().message(policy=policy)
        if not self.envelope_sender.isascii() or not all(_envelope(to).isascii() for to in self.to):
            # An internationalised domain is written as IDNA (punycode) in the headers: Django's own writer does it.
            return super().message(policy=policy)
        return WireMessage(self)


class WireMessage:
    """The RFC 5322 bytes of a ``NewsletterMessage``: a multipart/alternative with base64 UTF-8 parts.

    Every header is on one logical line (no CR or LF from any value: no header injection). The headers that are
    the same on every message of an issue (Subject, From, List-Id) are folded by the standard library's SMTP
    policy (RFC 2047 encoded words for non-ASCII, lines under 78 octets) once and remembered; the per-recipient
    ones (To, Message-ID, List-Unsubscribe) are plain ASCII written as they are, and anything else falls back to
    the same folding. No line is ever longer than 998 octets.
    """

    def __init__(self, mail: EmailMultiAlternatives):
        self.mail = mail

    def as_bytes(self, *args, **kwargs) -> bytes:
        import base64
        import secrets
        from email.utils import formatdate

        mail = self.mail
        boundary = f"=_mh_{secrets.token_hex(12)}"
        lines = [
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            _folded("Subject", _one_line(str(mail.subject))),
            _folded("From", _one_line(str(mail.from_email))),
            _header_line("To", ", ".join(_one_line(str(to)) for to in mail.to)),
            f"Date: {formatdate(usegmt=True)}",
            *(_header_line(str(name), str(value)) for name, value in mail.extra_headers.items()),
            "",
        ]
        parts = [(mail.body, "text/plain"), *((content, mimetype) for content, mimetype in mail.alternatives)]
        for content, mimetype in parts:
            lines += [
                f"--{boundary}",
                f'Content-Type: {mimetype}; charset="utf-8"',
                "Content-Transfer-Encoding: base64",
                "",
                base64.encodebytes(str(content).encode()).decode("ascii").rstrip("\n"),
            ]
        lines += [f"--{boundary}--", ""]
        # base64.encodebytes ends its lines with a bare LF; the wire wants CRLF everywhere.
        return "\r\n".join(lines).replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode("ascii")


_SIMPLE_HEADER_LENGTH = 998 - 80  # a plain ASCII value up to this long is written as it is (name included < 998)
_ONE_PER_ISSUE = {"subject", "from", "list-id", "list-unsubscribe-post"}


def _header_line(name: str, value: str) -> str:
    """``name: value`` for the wire: plain ASCII as it is, anything else folded by the standard library."""
    value = _one_line(value)
    if name.lower() in _ONE_PER_ISSUE:
        return _folded(name, value)
    if value.isascii() and len(value) <= _SIMPLE_HEADER_LENGTH:
        return f"{name}: {value}"
    return _fold(name, value)


@functools.lru_cache(maxsize=256)  # the same on every message of an issue
def _folded(name: str, value: str) -> str:
    return _fold(name, value)


def _fold(name: str, value: str) -> str:
    """``name: value`` folded by ``email.policy.SMTP`` (RFC 2047 for non-ASCII), without the final CRLF."""
    return email.policy.SMTP.fold(name, value).removesuffix("\r\n")


@functools.lru_cache(maxsize=256)
def _envelope(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1]


def unsubscribe_url(signup_id: int) -> str:
    from masthead.newsletters.tokens import unsubscribe_token

    return absolute(f"/newsletters/unsubscribe/{unsubscribe_token(signup_id)}/")
