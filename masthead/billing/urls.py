from django.urls import path

from masthead.billing import views, webhooks

app_name = "billing"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/checkout/", views.checkout_page, name="checkout"),
    path("account/billing/", views.account_billing, name="account_billing"),
    path("billing/webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("account/billing/card/", views.billing_card, name="card"),
    path("account/billing/cancel/", views.billing_cancel, name="cancel"),
    path("account/billing/resume/", views.billing_resume, name="resume"),
    path("account/billing/pay/", views.billing_pay, name="pay"),
    path("account/invoices/<str:number>/", views.receipt, name="receipt"),
]
