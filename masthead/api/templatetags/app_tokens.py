from django import template

from masthead.accounts.models import AppToken

register = template.Library()


@register.inclusion_tag("api/account_app_tokens.html", takes_context=True)
def app_tokens(context):
    """The signed-in reader's apps (live app tokens), newest first, for the account page."""
    request = context["request"]
    rows = AppToken.objects.filter(reader=request.user, revoked_at__isnull=True).order_by("-created_at", "-pk")
    return {"app_tokens": list(rows), "csrf_token": context.get("csrf_token")}
