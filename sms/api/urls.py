from django.urls import path

from sms.api import views

urlpatterns = [
    path("mitake/<str:token>/", views.mitake_callback, name="mitake-callback"),
    path("every8d/<str:token>/", views.every8d_callback, name="every8d-callback"),
    path("twilio/", views.twilio_callback, name="twilio-callback"),
]
