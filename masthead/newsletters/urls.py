from django.urls import include, path

from masthead.newsletters import views

app_name = "newsletters"

urlpatterns = [
    # Bounce and complaint webhooks from the email provider (anymail checks ANYMAIL_WEBHOOK_SECRET), e.g.
    # /mail/anymail/postmark/tracking/. Their events reach webhooks.on_tracking_event.
    path("mail/anymail/", include("anymail.urls")),
    path("newsletters/", views.newsletter_list, name="list"),
    path("newsletters/signup/", views.signup, name="signup"),
    path("newsletters/subscribe/", views.subscribe, name="subscribe"),
    path("newsletters/check-your-inbox/", views.check_inbox, name="check_inbox"),
    path("newsletters/preferences/", views.preferences, name="preferences"),
    path("newsletters/confirm/<str:token>/", views.confirm, name="confirm"),
    path("newsletters/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("newsletters/<slug:slug>/", views.newsletter_page, name="newsletter"),
]
