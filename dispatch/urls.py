from django.urls import include, path

from dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("dispatch/", views.planning_page, name="planning-page"),
    path("api/v1/dispatch/", include("dispatch.api.urls")),
]
