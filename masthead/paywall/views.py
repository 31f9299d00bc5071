from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe


@require_safe
def subscribe(request):
    """Where every Subscribe button leads. Plans and offers appear here once billing is set up."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return render(request, "paywall/subscribe.html", {"next": next_url})
