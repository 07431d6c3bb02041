from django.urls import include, path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="page"),
    path("dashboard/export/<slug:report_name>.<slug:export_format>", views.export_report, name="export"),
    path("dashboard/exports/<uuid:job_id>/", views.export_job_page, name="export-job"),
    path("dashboard/exports/<uuid:job_id>/download", views.export_download, name="export-download"),
    path("api/v1/dashboard/", include("dashboard.api.urls")),
]
