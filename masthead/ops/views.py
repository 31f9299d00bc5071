"""Staff pages of the ops app: the demo mailbox (every message the site kept instead of sending)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from masthead.ops import mailbox
from masthead.ops.models import MailboxMessage

PER_PAGE = 50
VIEW_PERMISSION = "ops.view_mailboxmessage"


@permission_required(VIEW_PERMISSION, raise_exception=True)
def mailbox_index(request):
    """The kept messages, newest first, paginated by ``?p=``."""
    messages = MailboxMessage.objects.only("created_at", "from_email", "to", "subject").order_by("-created_at", "-pk")
    page = Paginator(messages, PER_PAGE).get_page(request.GET.get("p"))
    return render(request, "ops/mailbox/index.html", {"page": page, "active": mailbox.is_active()})


@permission_required(VIEW_PERMISSION, raise_exception=True)
def mailbox_message(request, pk: int):
    """One message: its headers, its HTML part in a sandboxed frame, and its text part."""
    message = get_object_or_404(MailboxMessage, pk=pk)
    return render(request, "ops/mailbox/message.html", {"message": message})
