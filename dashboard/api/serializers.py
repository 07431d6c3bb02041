from rest_framework import serializers

from dashboard.models import DailyRollup, ExportJob


class DailyRollupOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = DailyRollup
        fields = ["day", "orders_created", "orders_delivered", "orders_failed", "orders_cancelled", "revenue"]


class MetricSnapshotOutputSerializer(serializers.Serializer):
    metric = serializers.CharField()
    panel = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateTimeField()
    seq = serializers.IntegerField(help_text="Sequence number of the last live push of this metric to your group.")
    data = serializers.DictField()


class SnapshotOutputSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=["manager", "admin"])
    metrics = serializers.DictField(child=MetricSnapshotOutputSerializer())


class ExportJobOutputSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "report",
            "export_format",
            "filters",
            "status",
            "rows_total",
            "rows_done",
            "progress_percent",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, job: ExportJob) -> str | None:
        from django.urls import reverse

        if job.status != "done":
            return None
        return reverse("dashboard:export-download", args=[job.pk])
