from django.urls import include, path

urlpatterns = [
    path("api/v1/driver/", include("offline_sync.api.urls")),
]
