from django.urls import include, path

app_name = "sms"

urlpatterns = [
    path("sms/callbacks/", include("sms.api.urls")),
]
