from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from luckygas import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="prometheus-django-metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("offline_sync.urls")),
    path("", include("offline_sync.pwa_urls")),
    path("", include("sms.urls")),
    path("", include("banking.urls")),
    path("", include("dashboard.urls")),
    path("", include("luckygas.delivery.urls")),
    path("", include("dispatch.urls")),
]
