from django.urls import path

from dashboard.api import views

urlpatterns = [
    path("snapshot/", views.DashboardSnapshotApi.as_view(), name="api-snapshot"),
    path("metrics/<slug:name>/", views.DashboardMetricApi.as_view(), name="api-metric"),
    path("orders/", views.DashboardOrderListApi.as_view(), name="api-orders"),
    path("rollups/daily/", views.DailyRollupListApi.as_view(), name="api-daily-rollups"),
    path("exports/<uuid:job_id>/", views.ExportJobDetailApi.as_view(), name="api-export-job"),
]
