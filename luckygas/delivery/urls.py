from django.urls import path

from luckygas.delivery.api.views import RouteListApi

urlpatterns = [
    path("api/v1/routes/", RouteListApi.as_view(), name="route-list"),
]
