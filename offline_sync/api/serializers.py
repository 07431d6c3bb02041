"""Shapes of the driver sync protocol (`/api/v1/driver/`). Keep them stable: the PWA depends on them."""

from rest_framework import serializers

from offline_sync import constants
from offline_sync.models import ActionType, ChangeKind, MediaKind

MAX_AMOUNT_TWD = 1_000_000
MAX_EMPTIES = 200


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class SeqGapSerializer(ErrorSerializer):
    expected_seq = serializers.IntegerField()


# --- Devices -------------------------------------------------------------------------------


class DeviceLoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    device_id = serializers.UUIDField(help_text="Client-generated UUID of this phone's installation.")
    name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class DriverSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DeviceLoginOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Device <token>`.")
    device_id = serializers.UUIDField()
    driver = DriverSerializer()
    next_seq = serializers.IntegerField(help_text="The seq the next pushed action must carry.")
    server_time = serializers.DateTimeField()


class PushSubscriptionKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscriptionSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=500)
    keys = PushSubscriptionKeysSerializer()


# --- Bootstrap -----------------------------------------------------------------------------


class RouteQuerySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="YYYY-MM-DD (Asia/Taipei).")


class ItemSerializer(serializers.Serializer):
    product = serializers.CharField()
    size_kg = serializers.IntegerField()
    quantity = serializers.IntegerField()


class StopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    customer_name = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    slot = serializers.CharField()
    planned_arrival_start = serializers.CharField(
        allow_null=True, help_text="HH:MM (Asia/Taipei): the planned arrival window's start; null when not planned."
    )
    planned_arrival_end = serializers.CharField(
        allow_null=True, help_text="HH:MM (Asia/Taipei): the planned arrival window's end; null when not planned."
    )
    items = ItemSerializer(many=True)
    amount_to_collect = serializers.IntegerField(help_text="Whole TWD to collect in cash; 0 when invoiced.")
    driver_notes = serializers.CharField(allow_blank=True)
    cash_collected = serializers.IntegerField()
    empties_collected = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)


class RouteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    status = serializers.CharField()
    vehicle = serializers.CharField(allow_null=True)
    stops = StopSerializer(many=True)


class PolicySerializer(serializers.Serializer):
    batch_size = serializers.IntegerField()
    purge_after_days = serializers.IntegerField()
    storage_budget_mb = serializers.IntegerField()
    gps_interval_online_seconds = serializers.IntegerField()
    gps_interval_offline_seconds = serializers.IntegerField()
    media_max_bytes = serializers.IntegerField()
    media_max_width = serializers.IntegerField()
    media_max_height = serializers.IntegerField()


class BootstrapSerializer(serializers.Serializer):
    server_time = serializers.DateTimeField()
    date = serializers.DateField()
    route = RouteSerializer(allow_null=True)
    cursor = serializers.IntegerField(help_text="Change-feed cursor to pass to changes?cursor= afterwards.")
    next_seq = serializers.IntegerField()
    policy = PolicySerializer()


# --- Push ----------------------------------------------------------------------------------


class ActionEnvelopeSerializer(serializers.Serializer):
    """What every action needs to be recorded at all (even as rejected)."""

    id = serializers.UUIDField(help_text="Client-generated UUID: the idempotency key.")
    seq = serializers.IntegerField(min_value=1, max_value=2**62, help_text="Per-device, increasing by one.")


class CompletePayloadSerializer(serializers.Serializer):
    cash_collected = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT_TWD, default=0)
    empties_collected = serializers.IntegerField(min_value=0, max_value=MAX_EMPTIES, default=0)
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class ReasonPayloadSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class NotePayloadSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class CashPayloadSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT_TWD)


class EmptiesPayloadSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_EMPTIES)


class MediaPayloadSerializer(serializers.Serializer):
    media_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=MediaKind.choices)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", help_text="SHA-256 of the bytes, hex.")


PAYLOAD_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    ActionType.COMPLETE: CompletePayloadSerializer,
    ActionType.SKIP: ReasonPayloadSerializer,
    ActionType.FAIL: ReasonPayloadSerializer,
    ActionType.NOTE: NotePayloadSerializer,
    ActionType.COLLECT_CASH: CashPayloadSerializer,
    ActionType.COLLECT_EMPTIES: EmptiesPayloadSerializer,
    ActionType.ATTACH_MEDIA: MediaPayloadSerializer,
}


class ActionSerializer(ActionEnvelopeSerializer):
    """One action. Payload by type: complete {cash_collected, empties_collected, note};
    skip/fail {reason}; note {text}; collect_cash {amount}; collect_empties {count};
    attach_media {media_id, kind: photo|signature, sha256}."""

    type = serializers.ChoiceField(choices=ActionType.choices)
    stop = serializers.IntegerField(min_value=1, max_value=2**62)
    base_version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    occurred_at = serializers.DateTimeField(help_text="The phone's clock when the driver acted.")
    payload = serializers.DictField(required=False, default=dict)

    def validate(self, attrs: dict) -> dict:
        # One payload serializer per type and per ActionSerializer: a push validates ten actions
        # with the same instances (building a DRF serializer deep-copies all its fields).
        validators = self.__dict__.setdefault("_payload_validators", {})
        if attrs["type"] not in validators:
            validators[attrs["type"]] = PAYLOAD_SERIALIZERS[attrs["type"]]()
        try:
            payload = validators[attrs["type"]].run_validation(attrs.get("payload") or {})
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"payload": error.detail}) from error
        attrs["payload"] = dict(payload)
        return attrs


class PushInputSerializer(serializers.Serializer):
    sent_at = serializers.DateTimeField(
        required=False, help_text="The phone's clock when it sent this batch; measures its clock offset."
    )
    actions = serializers.ListField(
        child=serializers.DictField(), min_length=1, max_length=constants.BATCH_SIZE, help_text="At most 10 actions."
    )


class PushInputSchemaSerializer(serializers.Serializer):
    """The documented form of PushInputSerializer (actions are validated one by one)."""

    sent_at = serializers.DateTimeField(required=False)
    actions = ActionSerializer(many=True, min_length=1, max_length=constants.BATCH_SIZE)


class StopStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assigned_to_you = serializers.BooleanField()
    status = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    sequence = serializers.IntegerField(required=False)
    cash_collected = serializers.IntegerField(required=False)
    empties_collected = serializers.IntegerField(required=False)
    completed_at = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.ListField(child=serializers.CharField(), required=False)


class ActionResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    seq = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["applied", "duplicate", "conflict", "rejected"])
    first_result = serializers.ChoiceField(
        choices=["applied", "conflict", "rejected"], required=False, help_text="For a duplicate: the stored result."
    )
    stop = StopStateSerializer(required=False, help_text="The server's state of the stop after the action.")
    reason = serializers.ChoiceField(
        choices=["cancelled", "reassigned", "already_final", "concurrent_note"], required=False
    )
    message = serializers.CharField(required=False)
    kept = serializers.BooleanField(required=False, help_text="A conflicting note, photo or cash event is kept.")
    errors = serializers.DictField(required=False, help_text="Field errors of a rejected action.")
    flags = serializers.ListField(child=serializers.ChoiceField(choices=["future", "out_of_order"]))


class PushOutputSerializer(serializers.Serializer):
    results = ActionResultSerializer(many=True)
    next_seq = serializers.IntegerField()
    server_time = serializers.DateTimeField()


# --- Media, locations, changes ---------------------------------------------------------------


class MediaOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    stop = serializers.IntegerField(source="stop_id")
    kind = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded = serializers.BooleanField(source="is_uploaded")
    content_type = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)


class PointSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=2**62, help_text="Per-device point number.")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    accuracy_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    recorded_at = serializers.DateTimeField()
    stop = serializers.IntegerField(
        min_value=1, max_value=2**62, required=False, allow_null=True, help_text="The stop current when taken."
    )


class LocationsInputSerializer(serializers.Serializer):
    points = PointSerializer(many=True, min_length=1, max_length=constants.MAX_LOCATION_POINTS)


class LocationsOutputSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ChangesQuerySerializer(serializers.Serializer):
    cursor = serializers.IntegerField(min_value=0, max_value=2**62, default=0)


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(source="id")
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    route = serializers.IntegerField(source="route_id", allow_null=True)
    stop = serializers.IntegerField(source="stop_id", allow_null=True)
    data = serializers.DictField()
    created_at = serializers.DateTimeField()


class ChangesOutputSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    cursor = serializers.IntegerField(help_text="Pass back as ?cursor= next time.")
    has_more = serializers.BooleanField()
    server_time = serializers.DateTimeField()


class WebPushKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField()
