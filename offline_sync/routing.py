from django.urls import path

from offline_sync.consumers import DriverChangesConsumer

websocket_urlpatterns = [
    path("ws/driver/", DriverChangesConsumer.as_asgi()),
]
