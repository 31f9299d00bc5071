"""Verified crawlers: full text for search engines that can prove who they are.

A User-Agent header is a claim, and anyone can make it: scrapers routinely send
"Googlebot" hoping that sites waive their paywall for it. So the claim only
selects which crawler to check; the proof is DNS, done the way Google and Bing
document it:

1. a reverse lookup of the client address gives a host name under one of the
   crawler's own domains, and
2. a forward lookup of that name gives back the same address.

Step 2 matters because whoever owns an address block controls its reverse
records: an attacker can make their own address claim to be
``crawl-1-2-3-4.googlebot.com``, but cannot make Google's forward zone agree.

The client address is ``REMOTE_ADDR`` as rewritten by
``masthead.lib.middleware.TrustedProxyMiddleware``, which believes
X-Forwarded-For only from ``TRUSTED_PROXIES``. Reading the header here again
would let any visitor name a Googlebot address of their choosing.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

T = TypeVar("T")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Crawler:
    """A search engine's crawler: how it names itself and where its hosts live."""

    name: str
    user_agent_token: str  # matched case-insensitively anywhere in the User-Agent
    domains: tuple[str, ...]  # its host names end in one of these


# Google documents googlebot.com for its common crawlers and google.com for its
# special-case ones. It also lists googleusercontent.com, but only for
# *user-triggered* fetchers, and that zone is not Google's alone: every Google
# Cloud VM gets a forward-confirmed name like 3.2.1.34.bc.googleusercontent.com,
# so accepting it would hand full text to anyone who rents a VM and sends a
# Googlebot User-Agent. Googlebot itself never crawls from there.
# (S106 mistakes a field called *_token for a password.)
GOOGLEBOT = Crawler(name="Googlebot", user_agent_token="Googlebot", domains=("googlebot.com", "google.com"))  # noqa: S106
BINGBOT = Crawler(name="Bingbot", user_agent_token="bingbot", domains=("search.msn.com",))  # noqa: S106
DEFAULT_CRAWLERS: tuple[Crawler, ...] = (GOOGLEBOT, BINGBOT)
DEFAULT_ENABLED = ["Googlebot", "Bingbot"]
DEFAULT_RESOLVER = "masthead.paywall.crawlers.SocketResolver"

# Verdicts are cached because each one costs two or more DNS round trips and a
# crawler fetches many pages from one address. A genuine crawler address stays
# genuine for a long time; a refusal is kept for less, so a crawler that fell
# foul of a DNS hiccup is not shut out for a whole day.
VERIFIED_TTL = 24 * 60 * 60
UNVERIFIED_TTL = 60 * 60

DNS_TIMEOUT = 2.0  # seconds, per lookup
DNS_THREADS = 8


# --- Pure helpers --------------------------------------------------------------


def name_matches(host: str, domains: Iterable[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a name inside one of them.

    Compares whole labels, ignoring case and a trailing root dot, so
    ``crawl-1.googlebot.com`` matches ``googlebot.com`` but neither
    ``evilgooglebot.com`` nor ``googlebot.com.evil.net`` does.
    """
    host = host.lower().rstrip(".")
    if not host:
        return False
    for domain in domains:
        domain = domain.lower().strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def claimed_crawler(user_agent: str, crawlers: Iterable[Crawler] | None = None) -> Crawler | None:
    """The crawler that ``user_agent`` claims to be, or None.

    Only ``crawlers`` are considered; by default, the ones enabled in settings.
    This is a claim, not a proof: see ``verify``.
    """
    if not user_agent:
        return None
    agent = user_agent.lower()
    for crawler in enabled_crawlers() if crawlers is None else crawlers:
        if crawler.user_agent_token.lower() in agent:
            return crawler
    return None


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an address in one canonical form, or None when it is not one.

    IPv6 has many spellings of one address, and dual-stack sockets report IPv4
    clients as ``::ffff:a.b.c.d``; all of them must compare equal to what DNS
    returns. A zone index (``%eth0``) says nothing about the host, so it goes.
    """
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0].strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# --- Resolvers -------------------------------------------------------------------


class Resolver:
    """The two DNS questions verification asks.

    Either method may return an empty list or raise; ``verify`` treats any
    exception as "not verified", so implementations need not catch their own.
    """

    def reverse(self, ip: str) -> list[str]:
        """The host names the PTR records of ``ip`` give."""
        raise NotImplementedError

    def forward(self, name: str) -> list[str]:
        """The IPv4 and IPv6 addresses ``name`` resolves to."""
        raise NotImplementedError


_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # One small pool per process, made on first use. A pool inherited through
    # fork() believes its parent's threads still exist and would never run
    # anything, so a new process gets a new pool.
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="masthead-dns")
            _pool_pid = os.getpid()
        return _pool


class SocketResolver(Resolver):
    """Asks the system resolver, giving up on any lookup after ``timeout`` seconds.

    The socket calls block with no timeout of their own, for as long as the
    system resolver likes (retries across several name servers can take
    tens of seconds). They run in a small shared pool so the request thread
    can stop waiting. A lookup that overruns still occupies a pool thread
    until the resolver gives up, which is why the pool is bounded: a flood of
    unresolvable addresses queues up and times out, it does not spawn threads.
    """

    def __init__(self, timeout: float = DNS_TIMEOUT):
        self.timeout = timeout

    def reverse(self, ip: str) -> list[str]:
        host, aliases, _addresses = self._bounded(socket.gethostbyaddr, ip)
        return [host, *aliases]

    def forward(self, name: str) -> list[str]:
        # SOCK_STREAM only so each address comes back once, not once per socket type.
        infos = self._bounded(socket.getaddrinfo, name, None, 0, socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def _bounded(self, lookup: Callable[..., T], *args) -> T:
        future = _executor().submit(lookup, *args)
        try:
            return future.result(timeout=self.timeout)
        except TimeoutError:
            future.cancel()  # if it is still queued, free its place for someone else
            raise


def get_resolver() -> Resolver:
    """A new instance of the resolver class named by ``PAYWALL_RESOLVER``."""
    path = getattr(settings, "PAYWALL_RESOLVER", DEFAULT_RESOLVER)
    try:
        resolver_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"PAYWALL_RESOLVER must be the dotted path of a Resolver class, not {path!r}"
        ) from error
    return resolver_class()


# --- Verification ---------------------------------------------------------------


def enabled_crawlers() -> tuple[Crawler, ...]:
    """The crawlers named in ``PAYWALL_CRAWLERS``, in that order."""
    names = getattr(settings, "PAYWALL_CRAWLERS", DEFAULT_ENABLED)
    if isinstance(names, str):
        raise ImproperlyConfigured(f"PAYWALL_CRAWLERS must be a list of crawler names, not the string {names!r}")
    known = {crawler.name.lower(): crawler for crawler in DEFAULT_CRAWLERS}
    crawlers = []
    for name in names:
        if name.lower() not in known:
            choices = ", ".join(crawler.name for crawler in DEFAULT_CRAWLERS)
            raise ImproperlyConfigured(f"PAYWALL_CRAWLERS lists {name!r}; known crawlers are {choices}")
        crawlers.append(known[name.lower()])
    return tuple(crawlers)


def verify(ip: str, crawler: Crawler, resolver: Resolver) -> bool:
    """True when DNS confirms that ``ip`` belongs to ``crawler``.

    False for an invalid address, a reverse name outside the crawler's
    domains, a forward lookup that does not lead back to ``ip``, and any
    resolver failure: a crawler we cannot verify is treated like a reader.
    """
    address = parse_address(ip)
    if address is None:
        return False
    try:
        for name in resolver.reverse(str(address)):
            # Only names in the crawler's zone are worth a forward lookup; the
            # forward answer for any other name is the other zone's say-so.
            if name_matches(name, crawler.domains) and address in _addresses(resolver.forward(name)):
                return True
    except Exception:
        # Fail closed whatever the resolver raised (herror, gaierror, timeout,
        # UnicodeError for an over-long label): the cost is a lead-in for a
        # genuine crawler until the negative verdict expires.
        return False
    return False


def _addresses(texts: Iterable[str]) -> set[IPAddress]:
    return {address for text in texts if (address := parse_address(text)) is not None}


def is_verified_crawler(request, *, resolver: Resolver | None = None) -> bool:
    """True when the request comes from an enabled crawler that DNS vouches for.

    False straight away, with no DNS and no cache, when the User-Agent claims
    no enabled crawler, which is nearly every request. Otherwise the verdict
    for (crawler, address) comes from the cache, or from ``verify`` with
    ``resolver`` (by default ``get_resolver()``) and is then cached.
    """
    crawler = claimed_crawler(request.META.get("HTTP_USER_AGENT", ""))
    if crawler is None:
        return False
    address = parse_address(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return False
    # The canonical address is in the key, so every spelling of it shares one entry.
    key = f"paywall:crawler:{crawler.name}:{address}"
    verdict = cache.get(key)
    if verdict is None:
        verdict = verify(str(address), crawler, resolver if resolver is not None else get_resolver())
        cache.set(key, verdict, VERIFIED_TTL if verdict else UNVERIFIED_TTL)
    return verdict
