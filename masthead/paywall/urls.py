from django.urls import path

from masthead.paywall import views

app_name = "paywall"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
]
