from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from masthead.billing.selectors import reader_standing
from masthead.lib import clock
from masthead.lib.dates import publication_zone
from masthead.metering import events, lookup, policy
from masthead.metering.rules import Segment
from masthead.metering.stores import get_store
from masthead.metering.windows import window_for


@permission_required("metering.view_decisionevent", raise_exception=True)
def reader_lookup(request):
    """Find a reader and show their recent meter decisions with reasons."""
    query = request.GET.get("q", "").strip()[:200]
    context = {"query": query, "found": None, "decisions": [], "window": None}
    if query:
        events.flush()  # include decisions still buffered in this process
        found = lookup.find_reader(query)
        context["found"] = found
        if found:
            standing = reader_standing(found.account) if found.account else None
            segment = standing.segment if standing else Segment.ANONYMOUS
            context["standing"] = segment
            if segment != Segment.SUBSCRIBER:
                allowance = policy.current_rules().allowance(segment)
                window = window_for(allowance, clock.now(), publication_zone())
                read = get_store().peek(found.reader.key, window, clock.now())
                context["window"] = {
                    "key": window.key,
                    "used": len(read),
                    "limit": allowance.limit,
                    "ends": window.ends,
                }
            context["decisions"] = lookup.recent_decisions(found)
    return render(request, "metering/reader_lookup.html", context)
