from django.urls import path

from offline_sync.api import views

urlpatterns = [
    path("devices/login", views.DeviceLoginApi.as_view(), name="driver-device-login"),
    path("route", views.RouteBootstrapApi.as_view(), name="driver-route"),
    path("sync", views.SyncPushApi.as_view(), name="driver-sync"),
    path("media/<str:media_id>", views.MediaApi.as_view(), name="driver-media"),
    path("locations", views.LocationAppendApi.as_view(), name="driver-locations"),
    path("changes", views.ChangeFeedApi.as_view(), name="driver-changes"),
    path("push-subscription", views.PushSubscriptionApi.as_view(), name="driver-push-subscription"),
    path("webpush-key", views.WebPushKeyApi.as_view(), name="driver-webpush-key"),
]
