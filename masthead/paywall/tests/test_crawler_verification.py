"""Crawlers get full text only when DNS vouches for their address, not because their User-Agent says so.

Every DNS answer here comes from ``FakeResolver``; no test touches the network.
Requests pass through the real ``TrustedProxyMiddleware`` first, as in
production, so X-Forwarded-For is believed exactly when it would be there.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from masthead.lib.middleware import TrustedProxyMiddleware
from masthead.paywall import crawlers
from masthead.paywall.crawlers import (
    BINGBOT,
    DEFAULT_CRAWLERS,
    GOOGLEBOT,
    Resolver,
    SocketResolver,
    claimed_crawler,
    is_verified_crawler,
    name_matches,
    verify,
)

GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE_UA = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT_UA = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

GOOGLE_IP = "66.249.66.1"
GOOGLE_NAME = "crawl-66-249-66-1.googlebot.com"
BING_IP = "157.55.39.1"
BING_NAME = "msnbot-157-55-39-1.search.msn.com"
ATTACKER_IP = "203.0.113.7"
PROXY_IP = "10.0.0.5"


class FakeResolver(Resolver):
    """DNS from two dicts. A value that is an exception is raised instead of returned.

    Unknown keys answer like real DNS does: no PTR record, no such name.
    Every question is recorded in ``calls``.
    """

    def __init__(self, reverse=None, forward=None):
        self.reverse_table = reverse or {}
        self.forward_table = forward or {}
        self.calls = []

    def reverse(self, ip):
        self.calls.append(("reverse", ip))
        return self._answer(self.reverse_table.get(ip, socket.herror(1, "Unknown host")))

    def forward(self, name):
        self.calls.append(("forward", name))
        return self._answer(
            self.forward_table.get(name, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
        )

    @staticmethod
    def _answer(value):
        if isinstance(value, BaseException):
            raise value
        return list(value)


def internet():
    """The genuine crawlers, as their operators' DNS describes them."""
    return FakeResolver(
        reverse={GOOGLE_IP: [GOOGLE_NAME], BING_IP: [BING_NAME]},
        forward={GOOGLE_NAME: [GOOGLE_IP], BING_NAME: [BING_IP]},
    )


class GenuineInternet(FakeResolver):
    """``internet()`` as a class, to be named by ``PAYWALL_RESOLVER``."""

    def __init__(self):
        resolver = internet()
        super().__init__(resolver.reverse_table, resolver.forward_table)


def crawler_request(user_agent, peer, forwarded_for=None):
    """A request as views see it: after TrustedProxyMiddleware has settled the client address.

    The middleware reads TRUSTED_PROXIES when it is built, so call this after changing settings.
    """
    extra = {"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": peer}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/news/a-story/", **extra)
    return TrustedProxyMiddleware(lambda request: request)(request)


@pytest.fixture(autouse=True)
def _defaults(settings):
    settings.TRUSTED_PROXIES = []
    settings.PAYWALL_CRAWLERS = ["Googlebot", "Bingbot"]


# --- Who is verified ------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "ip", "reverse", "forward", "verified"),
    [
        pytest.param(GOOGLEBOT_UA, GOOGLE_IP, [GOOGLE_NAME], {GOOGLE_NAME: [GOOGLE_IP]}, True, id="genuine-googlebot"),
        pytest.param(
            GOOGLEBOT_SMARTPHONE_UA,
            GOOGLE_IP,
            [GOOGLE_NAME],
            {GOOGLE_NAME: [GOOGLE_IP]},
            True,
            id="googlebot-smartphone",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            ["geo-crawl-66-249-66-1.geo.googlebot.com"],
            {"geo-crawl-66-249-66-1.geo.googlebot.com": [GOOGLE_IP]},
            True,
            id="googlebot-geo-crawler",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            ["rate-limited-proxy-66-249-66-1.google.com"],
            {"rate-limited-proxy-66-249-66-1.google.com": [GOOGLE_IP]},
            True,
            id="googlebot-special-case-host",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            ["CRAWL-66-249-66-1.GOOGLEBOT.COM."],
            {"CRAWL-66-249-66-1.GOOGLEBOT.COM.": [GOOGLE_IP]},
            True,
            id="ptr-in-capitals-with-root-dot",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            ["alias.example.net", GOOGLE_NAME],
            {"alias.example.net": [GOOGLE_IP], GOOGLE_NAME: [GOOGLE_IP]},
            True,
            id="second-ptr-name-matches",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            [GOOGLE_NAME],
            {GOOGLE_NAME: ["66.249.66.2", GOOGLE_IP, "2001:4860:4801:10::1"]},
            True,
            id="forward-returns-several-addresses",
        ),
        pytest.param(BINGBOT_UA, BING_IP, [BING_NAME], {BING_NAME: [BING_IP]}, True, id="genuine-bingbot"),
        pytest.param(
            GOOGLEBOT_UA,
            ATTACKER_IP,
            ["host-7.example.net"],
            {"host-7.example.net": [ATTACKER_IP]},
            False,
            id="googlebot-ua-from-another-domain",
        ),
        # The classic spoof: the attacker owns 203.0.113.7, so they write its PTR record and
        # point it at a real Googlebot name, but Google's zone maps that name elsewhere.
        pytest.param(
            GOOGLEBOT_UA, ATTACKER_IP, [GOOGLE_NAME], {GOOGLE_NAME: [GOOGLE_IP]}, False, id="ptr-spoof-forward-mismatch"
        ),
        # An attacker who owns a lookalike domain controls both lookups; only the name check stops them.
        pytest.param(
            GOOGLEBOT_UA,
            ATTACKER_IP,
            ["crawl.evilgooglebot.com"],
            {"crawl.evilgooglebot.com": [ATTACKER_IP]},
            False,
            id="lookalike-prefix",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            ATTACKER_IP,
            ["evilgooglebot.com"],
            {"evilgooglebot.com": [ATTACKER_IP]},
            False,
            id="lookalike-whole-name",
        ),
        pytest.param(
            GOOGLEBOT_UA,
            ATTACKER_IP,
            ["crawl-66-249-66-1.googlebot.com.attacker.net"],
            {"crawl-66-249-66-1.googlebot.com.attacker.net": [ATTACKER_IP]},
            False,
            id="lookalike-suffix",
        ),
        # Any Google Cloud VM has a forward-confirmed name like this one.
        pytest.param(
            GOOGLEBOT_UA,
            "34.1.2.3",
            ["3.2.1.34.bc.googleusercontent.com"],
            {"3.2.1.34.bc.googleusercontent.com": ["34.1.2.3"]},
            False,
            id="google-cloud-vm",
        ),
        pytest.param(
            BINGBOT_UA, GOOGLE_IP, [GOOGLE_NAME], {GOOGLE_NAME: [GOOGLE_IP]}, False, id="bingbot-ua-from-google-host"
        ),
        pytest.param(GOOGLEBOT_UA, GOOGLE_IP, [], {}, False, id="no-ptr-names"),
        pytest.param(GOOGLEBOT_UA, GOOGLE_IP, socket.herror(1, "Unknown host"), {}, False, id="reverse-herror"),
        pytest.param(GOOGLEBOT_UA, GOOGLE_IP, TimeoutError(), {}, False, id="reverse-timeout"),
        pytest.param(
            GOOGLEBOT_UA,
            GOOGLE_IP,
            [GOOGLE_NAME],
            {GOOGLE_NAME: socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")},
            False,
            id="forward-gaierror",
        ),
        pytest.param(
            GOOGLEBOT_UA, GOOGLE_IP, [GOOGLE_NAME], {GOOGLE_NAME: TimeoutError()}, False, id="forward-timeout"
        ),
        pytest.param(
            GOOGLEBOT_UA, GOOGLE_IP, [GOOGLE_NAME], {GOOGLE_NAME: ["not-an-address"]}, False, id="forward-garbage"
        ),
    ],
)
def test_it_verifies_only_addresses_that_dns_confirms(user_agent, ip, reverse, forward, verified):
    resolver = FakeResolver(reverse={ip: reverse}, forward=forward)
    assert is_verified_crawler(crawler_request(user_agent, ip), resolver=resolver) is verified


@pytest.mark.parametrize(
    ("ip", "reverse_ip", "forward"),
    [
        pytest.param(
            "2001:4860:4801:0010:0000:0000:0000:001a", "2001:4860:4801:10::1a", ["2001:4860:4801:10::1a"], id="expanded"
        ),
        pytest.param("2001:4860:4801:10::1a", "2001:4860:4801:10::1a", ["2001:4860:4801:10:0:0:0:1A"], id="uppercase"),
        pytest.param("::ffff:66.249.66.1", GOOGLE_IP, [GOOGLE_IP], id="ipv4-mapped"),
        pytest.param("fe80::1%eth0", "fe80::1", ["fe80::1"], id="zone-index"),
    ],
)
def test_it_compares_addresses_not_their_spelling(ip, reverse_ip, forward):
    resolver = FakeResolver(reverse={reverse_ip: [GOOGLE_NAME]}, forward={GOOGLE_NAME: forward})
    assert verify(ip, GOOGLEBOT, resolver)
    assert resolver.calls[0] == ("reverse", reverse_ip)


@pytest.mark.parametrize("ip", ["", "unknown", "66.249.66", "66.249.66.1, 10.0.0.1"])
def test_it_refuses_an_invalid_address_without_asking_dns(ip):
    resolver = internet()
    assert not verify(ip, GOOGLEBOT, resolver)
    assert not is_verified_crawler(crawler_request(GOOGLEBOT_UA, ip), resolver=resolver)
    assert resolver.calls == []


@pytest.mark.parametrize("user_agent", [BROWSER_UA, "", "Googlebo", "Mozilla/5.0 (compatible; AhrefsBot/7.0)"])
def test_it_asks_neither_dns_nor_the_cache_when_no_crawler_is_claimed(user_agent, monkeypatch):
    # Nearly every request takes this path, so it must cost nothing.
    monkeypatch.setattr(crawlers, "cache", None)
    resolver = internet()
    assert not is_verified_crawler(crawler_request(user_agent, GOOGLE_IP), resolver=resolver)
    assert resolver.calls == []


def test_it_ignores_a_disabled_crawler_without_asking_dns(settings):
    settings.PAYWALL_CRAWLERS = ["Bingbot"]
    resolver = internet()
    assert not is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=resolver)
    assert resolver.calls == []
    assert is_verified_crawler(crawler_request(BINGBOT_UA, BING_IP), resolver=resolver)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (GOOGLEBOT_UA, GOOGLEBOT),
        ("Googlebot-Image/1.0", GOOGLEBOT),
        ("mozilla/5.0 (compatible; GOOGLEBOT/2.1)", GOOGLEBOT),
        (BINGBOT_UA, BINGBOT),
        (BROWSER_UA, None),
        ("", None),
    ],
)
def test_it_reads_the_claimed_crawler_from_the_user_agent(user_agent, expected):
    assert claimed_crawler(user_agent, DEFAULT_CRAWLERS) == expected


@pytest.mark.parametrize("setting", [["Googlebot", "Yandexbot"], "Googlebot"])
def test_it_rejects_crawler_settings_it_cannot_honour(settings, setting):
    settings.PAYWALL_CRAWLERS = setting
    with pytest.raises(ImproperlyConfigured, match="PAYWALL_CRAWLERS"):
        claimed_crawler(GOOGLEBOT_UA)


# --- Which address is checked ----------------------------------------------------


def test_it_ignores_x_forwarded_for_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    resolver = internet()
    request = crawler_request(GOOGLEBOT_UA, ATTACKER_IP, forwarded_for=GOOGLE_IP)
    assert request.META["REMOTE_ADDR"] == ATTACKER_IP
    assert not is_verified_crawler(request, resolver=resolver)
    assert ("reverse", GOOGLE_IP) not in resolver.calls


def test_it_ignores_x_forwarded_for_when_no_proxy_is_trusted():
    request = crawler_request(GOOGLEBOT_UA, ATTACKER_IP, forwarded_for=GOOGLE_IP)
    assert not is_verified_crawler(request, resolver=internet())


def test_it_checks_the_forwarded_address_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    resolver = internet()
    request = crawler_request(GOOGLEBOT_UA, PROXY_IP, forwarded_for=f"{ATTACKER_IP}, {GOOGLE_IP}")
    assert is_verified_crawler(request, resolver=resolver)
    assert resolver.calls[0] == ("reverse", GOOGLE_IP)


# --- Caching -------------------------------------------------------------------------


def test_it_caches_a_positive_verdict():
    resolver = internet()
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=resolver)
    asked = len(resolver.calls)
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=resolver)
    assert len(resolver.calls) == asked


def test_it_caches_a_negative_verdict():
    resolver = FakeResolver(reverse={ATTACKER_IP: [GOOGLE_NAME]}, forward={GOOGLE_NAME: [GOOGLE_IP]})
    assert not is_verified_crawler(crawler_request(GOOGLEBOT_UA, ATTACKER_IP), resolver=resolver)
    asked = len(resolver.calls)
    assert not is_verified_crawler(crawler_request(GOOGLEBOT_UA, ATTACKER_IP), resolver=resolver)
    assert len(resolver.calls) == asked


def test_it_keeps_refusals_for_less_time_than_approvals(monkeypatch):
    stored = {}
    monkeypatch.setattr(crawlers.cache, "set", lambda key, value, timeout: stored.update({value: timeout}))
    is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=internet())
    is_verified_crawler(crawler_request(GOOGLEBOT_UA, ATTACKER_IP), resolver=internet())
    assert stored == {True: 24 * 60 * 60, False: 60 * 60}


def test_it_shares_one_cache_entry_between_spellings_of_an_address():
    resolver = FakeResolver(
        reverse={"2001:4860:4801:10::1a": [GOOGLE_NAME]}, forward={GOOGLE_NAME: ["2001:4860:4801:10::1a"]}
    )
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, "2001:4860:4801:10::1a"), resolver=resolver)
    asked = len(resolver.calls)
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, "2001:4860:4801:10:0:0:0:1a"), resolver=resolver)
    assert len(resolver.calls) == asked


def test_it_caches_each_crawler_separately():
    resolver = internet()
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=resolver)
    # A verified Googlebot address does not make a Bingbot claim from it true.
    assert not is_verified_crawler(crawler_request(BINGBOT_UA, GOOGLE_IP), resolver=resolver)


# --- The resolver seam ---------------------------------------------------------------


def test_it_uses_the_resolver_named_in_settings(settings):
    settings.PAYWALL_RESOLVER = f"{__name__}.GenuineInternet"
    assert is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP))
    assert isinstance(crawlers.get_resolver(), GenuineInternet)


def test_it_uses_the_system_resolver_by_default(settings):
    del settings.PAYWALL_RESOLVER
    assert type(crawlers.get_resolver()) is SocketResolver


def test_it_rejects_a_resolver_setting_it_cannot_import(settings):
    settings.PAYWALL_RESOLVER = "masthead.paywall.crawlers.NoSuchResolver"
    with pytest.raises(ImproperlyConfigured, match="PAYWALL_RESOLVER"):
        crawlers.get_resolver()


def test_it_reads_names_and_addresses_from_the_socket_calls(monkeypatch):
    monkeypatch.setattr(socket, "gethostbyaddr", lambda ip: (GOOGLE_NAME, ["alias.googlebot.com"], [ip]))
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda name, port, family, kind: [
            (socket.AF_INET, kind, 6, "", (GOOGLE_IP, 0)),
            (socket.AF_INET6, kind, 6, "", ("2001:4860:4801:10::1a", 0, 0, 0)),
            (socket.AF_INET, kind, 6, "", (GOOGLE_IP, 0)),
        ],
    )
    resolver = SocketResolver()
    assert resolver.reverse(GOOGLE_IP) == [GOOGLE_NAME, "alias.googlebot.com"]
    assert resolver.forward(GOOGLE_NAME) == [GOOGLE_IP, "2001:4860:4801:10::1a"]
    assert verify(GOOGLE_IP, GOOGLEBOT, resolver)


def test_it_gives_up_on_a_resolver_that_hangs(monkeypatch):
    release = threading.Event()

    def hang(ip):
        release.wait(5)
        return (GOOGLE_NAME, [], [ip])

    monkeypatch.setattr(socket, "gethostbyaddr", hang)
    try:
        resolver = SocketResolver(timeout=0.05)
        with pytest.raises(TimeoutError):
            resolver.reverse(GOOGLE_IP)
        assert not is_verified_crawler(crawler_request(GOOGLEBOT_UA, GOOGLE_IP), resolver=resolver)
    finally:
        release.set()  # let the pool thread finish rather than outlive the test


# --- Matching host names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("googlebot.com", True),
        ("crawl-66-249-66-1.googlebot.com", True),
        ("geo-crawl-66-249-66-1.geo.googlebot.com", True),
        ("Crawl-66-249-66-1.GoogleBot.Com", True),
        ("crawl-66-249-66-1.googlebot.com.", True),
        ("evilgooglebot.com", False),
        ("googlebot.com.evil.net", False),
        ("googlebot.co", False),
        ("xgoogle.com", False),
        ("googlebot.com..", True),
        ("", False),
        (".", False),
    ],
)
def test_it_matches_whole_domain_labels_only(host, expected):
    assert name_matches(host, GOOGLEBOT.domains) is expected


dns_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)
labels = st.lists(dns_label, min_size=1, max_size=4).map(".".join)
domains = st.sampled_from([domain for crawler in DEFAULT_CRAWLERS for domain in crawler.domains]) | st.lists(
    dns_label, min_size=2, max_size=3
).map(".".join)


@given(label=labels, domain=domains)
def test_it_matches_names_inside_a_domain(label, domain):
    assert name_matches(label + "." + domain, [domain])


@given(label=st.text(min_size=1).filter(lambda label: not label.endswith(".")), domain=domains)
def test_it_never_matches_a_name_that_merely_ends_with_the_domain(label, domain):
    assert not name_matches(label + domain, [domain])
