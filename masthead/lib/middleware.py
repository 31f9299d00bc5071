"""Request plumbing shared by every app."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(peer: str, forwarded_for: str, trusted) -> str:
    """The address of the client, given the socket peer and X-Forwarded-For.

    Walks X-Forwarded-For from the right (the hop nearest to us) and skips
    addresses of trusted proxies. The first untrusted hop is the client. A
    header from an untrusted peer is ignored entirely: anyone can write one.
    Returns ``peer`` when nothing better is known.
    """
    if not trusted or not _in(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header tells us nothing we can rely on
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxyMiddleware:
    """Believe X-Forwarded-For/-Proto only from ``TRUSTED_PROXIES``.

    The socket peer is kept in ``META["MASTHEAD_PEER_ADDR"]``; ``REMOTE_ADDR``
    becomes the client's address so every later consumer agrees on it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = settings.TRUSTED_PROXIES

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta["MASTHEAD_PEER_ADDR"] = peer
        if self.trusted and _in(peer, self.trusted):
            meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
            if meta.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https":
                meta["wsgi.url_scheme"] = "https"
        return self.get_response(request)
