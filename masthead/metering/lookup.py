"""Staff lookup: why did this reader see the wall?"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from masthead.metering.identity import ReaderId, account_reader, parse_key

RECENT = 50


@dataclass(frozen=True)
class Found:
    reader: ReaderId
    account: object | None


def find_reader(query: str) -> Found | None:
    """A reader by account email, by store key (``a:42``, ``c:<uuid>``) or by bare anonymous id."""
    query = query.strip()
    if not query:
        return None
    if "@" in query:
        account = get_user_model().objects.filter(email__iexact=query).first()
        return Found(account_reader(account.pk), account) if account else None
    reader = parse_key(query)
    if reader is None and len(query) == 36 and query.count("-") == 4:
        reader = ReaderId("cookie", query.lower())
    if reader is None:
        return None
    account = None
    if reader.kind == "account" and reader.value.isdigit():
        account = get_user_model().objects.filter(pk=int(reader.value)).first()
    return Found(reader, account)


def recent_decisions(found: Found):
    from masthead.content.models import ArticlePage
    from masthead.metering.models import DecisionEvent

    events = list(DecisionEvent.objects.for_reader(found.reader.key).order_by("-at")[:RECENT])
    titles = dict(ArticlePage.objects.filter(pk__in={e.article_id for e in events}).values_list("pk", "title"))
    for event in events:
        event.article_title = titles.get(event.article_id, f"article #{event.article_id}")
    return events
