from django.urls import path

from masthead.billing import views

app_name = "billing"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/checkout/", views.checkout_page, name="checkout"),
    path("account/billing/", views.account_billing, name="account_billing"),
    path("account/invoices/<str:number>/", views.receipt, name="receipt"),
]
