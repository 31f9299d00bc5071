"""The one place an article's access is decided, for the page, feeds and the API alike."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings

from masthead.billing.selectors import reader_standing
from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.metering import decision as meter
from masthead.metering import events, policy
from masthead.metering.identity import ReaderId, account_reader
from masthead.metering.rereads import rereads
from masthead.metering.rules import Segment
from masthead.metering.stores import get_store
from masthead.metering.windows import window_for
from masthead.paywall.crawlers import is_verified_crawler

MERGED_SESSION_KEY = "meter_merged_from"


def from_referral(referer: str, domains: tuple[str, ...]) -> bool:
    """True when the Referer names a search engine or social network (it is spoofable, so the allowance is capped)."""
    if not referer:  # most views: typed, bookmarked, or a browser that sends none
        return False
    host = urlsplit(referer).hostname or ""
    if not host:
        return False
    for domain in domains:
        if domain.endswith("."):  # a brand under any suffix: "google." matches google.com and www.google.co.jp
            if f".{domain}" in f".{host}":
                return True
        elif host == domain or host.endswith(f".{domain}"):
            return True
    return False


def article_decision(request, article) -> meter.Decision:
    """Decide, record the view when metered, and log the decision.

    The reader is ``request.user`` and ``request.reader``: on the web, the
    session's account and the browser's cookie (``RequestReader``); through the
    API, the app token's account and the app's device (``AppReader``).
    """
    if not settings.METER_ENABLED:
        return meter.Decision(True, meter.Reason.FREE_ARTICLE, rules_version=0)
    rules = policy.current_rules()
    now = clock.now()
    # ``request.user`` is a lazy object whose every attribute read goes through a proxy: whether
    # the reader is signed in is asked once here, not again in each branch below.
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    standing = reader_standing(user)
    facts = meter.ArticleFacts(id=article.pk, access=article.access)
    needs_check = article.access != "free" and not standing.entitled
    reader = meter.ReaderFacts(
        segment=standing.segment,
        verified_crawler=needs_check and is_verified_crawler(request),
        from_referral=needs_check and from_referral(request.META.get("HTTP_REFERER", ""), rules.referral_domains),
    )
    outcome = meter.plan(facts, reader, rules, now, publication_zone())
    reader_key = ""
    if isinstance(outcome, meter.Decision):
        decision = outcome
        if signed_in:
            reader_key = account_reader(user.pk).key
        elif (known := request.reader.known_anonymous()) is not None:
            reader_key = known.key
    else:
        store = get_store()
        reader_id = account_reader(user.pk) if signed_in else request.reader.anonymous()
        if reader_id is None:  # an app that presented neither an account nor a device: the API never lets one in
            raise ValueError("a metered decision needs a reader: an account or an anonymous id")
        reader_key = reader_id.key
        if signed_in:
            _merge_anonymous_reads(request, store, rules, outcome.window, now)
        # An id minted just now has read nothing: its first read needs no look-up, and rides in
        # the new cookie instead of the store (identity's docstring), until the next view.
        new_reader = not signed_in and request.reader.minted
        if new_reader and outcome.limit > 0:
            state = meter.MeterState(used=0, already_read=False)
            request.reader.hold_first_read(outcome.window.key, article.pk)
        else:
            if not signed_in:
                _record_first_read(request, store, reader_key, outcome.window, outcome.limit, now)
            state = _consume(store, reader_key, outcome.window, article.pk, outcome.limit, now, now, new_reader)
        referral_state = None
        if (
            outcome.referral_window is not None
            and not meter.meter_step(state.used, state.already_read, outcome.limit)[0]
        ):
            referral_state = store.consume(reader_key, outcome.referral_window, article.pk, outcome.referral_limit, now)
        decision = meter.decide(facts, reader, rules, outcome, state, referral_state)
        if signed_in and decision.allowed:
            _mirror_into_browser(request, store, rules, article.pk, now)
    events.record_decision(
        decision,
        reader_key=reader_key,
        account_id=user.pk if signed_in else None,
        article_id=article.pk,
        at=now,
    )
    return decision


# A browser's window is never full for a mirror write: it records, it does not decide.
MIRROR_LIMIT = 10_000


def _consume(store, reader_key: str, window, article_id: int, limit: int, at, now, new_reader: bool):
    """The store's consume of a read made ``at``, unless this process knows it for a re-read already."""
    state = rereads.recall(reader_key, window, article_id, now)
    if state is None:
        state = store.consume(reader_key, window, article_id, limit, at, new_reader=new_reader)
        granted, used = meter.meter_step(state.used, state.already_read, limit)
        if granted:
            rereads.note(reader_key, window, article_id, used, now)
    return state


def _record_first_read(request, store, reader_key: str, window, limit: int, now) -> None:
    """Write the first read the browser's cookie carries into ``window``, before anything else counts.

    The read was counted when it was made, so it goes in at the time it was made. A
    claim from another window is stale and only dropped. Either way the response
    sets the cookie again without it.
    """
    first = request.reader.first_read
    if first is None:
        return
    request.reader.first_read_recorded()
    if first.window_key != window.key:
        return
    at = dt.datetime.fromtimestamp(first.at, dt.UTC)
    if window.ends is None and at < window.starts:
        return  # a rolling window that has moved past it
    _consume(store, reader_key, window, first.article_id, limit, at, now, True)


def _mirror_into_browser(request, store, rules, article_id: int, now) -> None:
    """Count a signed-in read in this browser's anonymous window too.

    Without this, a reader who used up an account's allowance could log out and
    find the browser's own, untouched anonymous allowance waiting.
    """
    # A browser that logged in before it ever had an anonymous id gets one now; an app
    # signed in without registering a device has none to mirror into.
    browser = request.reader.anonymous()
    if browser is None:
        return
    window = window_for(rules.allowance(Segment.ANONYMOUS), now, publication_zone())
    store.consume(browser.key, window, article_id, MIRROR_LIMIT, now, new_reader=request.reader.minted)


def _merge_anonymous_reads(request, store, rules, account_window, now) -> None:
    """Fold this browser's anonymous reads into the account, once per login.

    The anonymous window is left as it was, so logging out again finds it just
    as used up; the account keeps the union, so its count never goes down.
    """
    anonymous = request.reader.cookie_id
    session = getattr(request, "session", None)
    if not anonymous or session is None or session.get(MERGED_SESSION_KEY) == anonymous:
        return
    anonymous_window = window_for(rules.allowance(Segment.ANONYMOUS), now, publication_zone())
    _record_first_read(request, store, f"c:{anonymous}", anonymous_window, MIRROR_LIMIT, now)
    store.merge(f"c:{anonymous}", anonymous_window, account_reader(request.user.pk).key, account_window, now)
    session[MERGED_SESSION_KEY] = anonymous


def merge_anonymous_reads(anonymous: ReaderId, user) -> None:
    """Fold an anonymous reader's window (an app's device) into ``user``'s account, as logging in on the web does.

    The same step as a browser's first metered read after logging in: the
    anonymous window is left as it was and the account keeps the union. A
    subscriber is not metered, so there is nothing to merge into.
    """
    if not settings.METER_ENABLED:
        return
    rules = policy.current_rules()
    allowance = rules.allowances.get(reader_standing(user).segment)
    if allowance is None:
        return
    now = clock.now()
    zone = publication_zone()
    anonymous_window = window_for(rules.allowance(Segment.ANONYMOUS), now, zone)
    account_window = window_for(allowance, now, zone)
    get_store().merge(anonymous.key, anonymous_window, account_reader(user.pk).key, account_window, now)
