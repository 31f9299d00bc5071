"""The staff page that shows what the sandbox processor holds. Read-only."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from masthead.billing.sandbox.models import SandboxCard, SandboxCharge, SandboxCustomer

PER_PAGE = 50

# Each list, newest first, with what its rows show loaded up front.
LISTS = {
    "charges": ("Charges", lambda: SandboxCharge.objects.select_related("card", "customer")),
    "cards": ("Cards", lambda: SandboxCard.objects.select_related("customer")),
    "customers": ("Customers", lambda: SandboxCustomer.objects.all()),
}


@permission_required("sandbox.view_sandboxcharge", raise_exception=True)
def overview(request, kind: str = "charges"):
    """One of the sandbox's lists (charges, cards or customers), paginated by ``?p=``."""
    if kind not in LISTS:
        raise Http404
    title, query = LISTS[kind]
    page = Paginator(query().order_by("-created", "-pk"), PER_PAGE).get_page(request.GET.get("p"))
    tabs = [(name, label, name == kind) for name, (label, _) in LISTS.items()]
    return render(request, "sandbox/overview.html", {"kind": kind, "title": title, "page": page, "tabs": tabs})
