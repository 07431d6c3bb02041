from django.urls import path

from sms import views

app_name = "sms"

urlpatterns = [
    path("sms/callbacks/mitake/<str:token>/", views.mitake_callback, name="mitake-callback"),
    path("sms/callbacks/every8d/<str:token>/", views.every8d_callback, name="every8d-callback"),
    path("sms/callbacks/twilio/", views.twilio_callback, name="twilio-callback"),
]
