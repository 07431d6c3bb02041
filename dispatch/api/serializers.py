from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.models import Depot

DEFAULT_TIME_LIMIT_SECONDS = 30


@extend_schema_field(OpenApiTypes.INT)
class DepotField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("No active depot with id %(pk_value)s."),
        "incorrect_type": _("Give the depot's id (a number)."),
    }

    def get_queryset(self):
        return Depot.objects.filter(is_active=True)


class DayQuerySerializer(serializers.Serializer):
    date = serializers.DateField()
    depot = DepotField()


class PlanCreateInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    depot = DepotField()
    time_limit_seconds = serializers.IntegerField(min_value=5, max_value=300, default=DEFAULT_TIME_LIMIT_SECONDS)


class PlanReoptimizeInputSerializer(serializers.Serializer):
    time_limit_seconds = serializers.IntegerField(min_value=5, max_value=300, required=False)


class StopMoveInputSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1)
    shift = serializers.IntegerField(min_value=1)
    position = serializers.IntegerField(min_value=0, max_value=10_000)


class StopUnplanInputSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1)


class StopLockInputSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1)
    is_locked = serializers.BooleanField()


class PlanPublishInputSerializer(serializers.Serializer):
    send_arrival_sms = serializers.BooleanField(default=False)
