from django.urls import path

from offline_sync import pwa

urlpatterns = [
    path("driver/", pwa.driver_app, name="driver-app"),
    path("driver/manifest.webmanifest", pwa.manifest, name="driver-manifest"),
    path("driver/sw.js", pwa.service_worker, name="driver-service-worker"),
]
