from rest_framework import serializers

from dashboard.models import DailyRollup, ExportJob
from dashboard.selectors import ORDER_SORTS
from luckygas.delivery.models import OrderStatus, PaymentMethod


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


SORT_CHOICES = [*ORDER_SORTS, *(f"-{key}" for key in ORDER_SORTS)]


class OrderListFilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=60, trim_whitespace=True)
    sort = serializers.ChoiceField(choices=SORT_CHOICES, required=False, default="-number")


class OrderRowOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="pk")
    delivery_date = serializers.DateField()
    created_at = serializers.DateTimeField()
    customer_code = serializers.CharField()
    customer_name = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    status_label = serializers.SerializerMethodField()
    payment_method_label = serializers.SerializerMethodField()
    amount = serializers.IntegerField(source="total_amount")

    def get_status_label(self, row: dict) -> str:
        return str(OrderStatus(row["status"]).label)

    def get_payment_method_label(self, row: dict) -> str:
        return str(PaymentMethod(row["payment_method"]).label)
