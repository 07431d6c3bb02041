"""The driver sync API, `/api/v1/driver/`: one view per operation, no business logic here."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from luckygas.api import JSONParser, error_response, flatten_errors
from offline_sync import constants, selectors, services
from offline_sync.api import serializers as s
from offline_sync.api.authentication import DeviceTokenAuthentication, HasDevice
from offline_sync.models import DriverDevice, MediaUpload
from offline_sync.services.notifications import web_push_enabled

logger = logging.getLogger(__name__)

MAX_PUSH_BODY_BYTES = 256 * 1024
TAG = "driver sync"

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Malformed request; `errors` names the fields."),
    401: OpenApiResponse(s.ErrorSerializer, description="No, unknown or revoked device token."),
}


MEDIA_ID = OpenApiParameter(
    "media_id",
    OpenApiTypes.UUID,
    location=OpenApiParameter.PATH,
    description="The media_id of the attach_media action.",
)


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class DeviceApiView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [HasDevice]
    parser_classes = [JSONParser]
    # A body larger than this is refused (413) before it is read; see luckygas.api.JSONParser.
    max_body_bytes = 8 * 1024

    def device(self, request: Request) -> DriverDevice:
        return request.auth


class DeviceLoginApi(APIView):
    """Log a driver in and register this phone (client-generated UUID); returns the device token."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [JSONParser]
    max_body_bytes = 4 * 1024
    error_statuses = {"invalid_credentials": 401, "not_a_driver": 403, "device_taken": 409, "device_revoked": 403}

    @extend_schema(
        tags=[TAG],
        request=s.DeviceLoginInputSerializer,
        responses={
            201: s.DeviceLoginOutputSerializer,
            400: ERRORS[400],
            401: OpenApiResponse(s.ErrorSerializer, description="Wrong username or password."),
            403: OpenApiResponse(s.ErrorSerializer, description="Not a driver, or the device was revoked."),
            409: OpenApiResponse(s.ErrorSerializer, description="The device is registered to another driver."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.DeviceLoginInputSerializer(data=request.data)
        if not data.is_valid():
            return error_response(400, "invalid", _("Check the highlighted fields."), data.errors)
        device, token = services.device_register(**data.validated_data)
        output = {
            "token": token,
            "device_id": device.device_id,
            "driver": {"id": device.driver_id, "name": device.driver.name},
            "next_seq": device.next_seq,
            "server_time": timezone.now(),
        }
        return Response(s.DeviceLoginOutputSerializer(output).data, status=201)


class RouteBootstrapApi(DeviceApiView):
    """The driver's route for a day, the server time, the change cursor and the client policy."""

    @extend_schema(
        tags=[TAG],
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD")],
        responses={200: s.BootstrapSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = s.RouteQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return error_response(400, "invalid", _("Give the date as YYYY-MM-DD."), query.errors)
        device = self.device(request)
        date = query.validated_data["date"]
        # Read the cursor first: anything changing while we read the route is pulled again later.
        cursor = selectors.change_feed_cursor(driver=device.driver)
        route = selectors.driver_route_for_day(driver=device.driver, date=date)
        stops = list(route.stops.all()) if route else []
        services.stop_assignments_record(driver=device.driver, stop_ids=[stop.pk for stop in stops])
        output = {
            "server_time": timezone.now(),
            "date": date,
            "route": (
                {
                    "id": route.pk,
                    "date": route.date,
                    "status": route.status,
                    "vehicle": route.vehicle.plate_number if route.vehicle else None,
                    "stops": [selectors.stop_for_phone(stop) for stop in stops],
                }
                if route
                else None
            ),
            "cursor": cursor,
            "next_seq": device.next_seq,
            "policy": selectors.client_policy(),
        }
        return Response(s.BootstrapSerializer(output).data)


class SyncPushApi(DeviceApiView):
    """Push at most 10 queued actions; every action gets its own result, each applied at most once."""

    max_body_bytes = MAX_PUSH_BODY_BYTES

    @extend_schema(
        tags=[TAG],
        request=s.PushInputSchemaSerializer,
        responses={
            200: s.PushOutputSerializer,
            **ERRORS,
            409: OpenApiResponse(s.SeqGapSerializer, description="A gap in seq: resend from `expected_seq`."),
            413: OpenApiResponse(s.ErrorSerializer, description="The batch is too large."),
            422: OpenApiResponse(s.ErrorSerializer, description="A known action id was sent with another body."),
            503: OpenApiResponse(s.ErrorSerializer, description="Database unavailable: nothing applied, resend."),
        },
    )
    def post(self, request: Request) -> Response:
        batch = s.PushInputSerializer(data=request.data)
        if not batch.is_valid():
            return error_response(400, "invalid", _("The batch is malformed."), batch.errors)
        actions: list[services.ActionInput] = []
        envelope_errors: dict[str, Any] = {}
        # One serializer instance validates every action of the batch (see ActionSerializer.validate).
        full_validator, envelope_validator = s.ActionSerializer(), s.ActionEnvelopeSerializer()
        for index, raw in enumerate(batch.validated_data["actions"]):
            try:
                full = full_validator.run_validation(raw)
            except ValidationError as error:
                # Invalid: recorded as rejected if at least its id and seq are fine.
                try:
                    envelope = envelope_validator.run_validation(raw)
                except ValidationError as envelope_error:
                    envelope_errors[str(index)] = envelope_error.detail
                    continue
                action = services.ActionInput(id=envelope["id"], seq=envelope["seq"], body=raw)
                action.errors = flatten_errors(error.detail)
            else:
                action = services.ActionInput(
                    id=full["id"],
                    seq=full["seq"],
                    body=raw,
                    action_type=full["type"],
                    stop_id=full["stop"],
                    base_version=full["base_version"],
                    occurred_at=full["occurred_at"],
                    payload=full["payload"],
                )
            actions.append(action)
        if envelope_errors:
            return error_response(
                400,
                "invalid",
                _("Every action needs a UUID id and a seq."),
                {"actions": envelope_errors},
            )
        try:
            result = services.sync_push(
                device=self.device(request), actions=actions, sent_at=batch.validated_data.get("sent_at")
            )
        except services.SeqGapError as error:
            return error_response(
                409,
                "seq_gap",
                _("Expected action number %(expected)s; resend the queue from there.")
                % {"expected": error.expected_seq},
                expected_seq=error.expected_seq,
            )
        except services.ActionIdReusedError as error:
            return error_response(
                422,
                "id_reused",
                _("These action ids were already used with a different body."),
                {"actions": [_("Reused id %(id)s.") % {"id": action_id} for action_id in error.action_ids]},
            )
        except services.DeviceRevokedError:
            return error_response(401, "device_revoked", _("This device was revoked by the office."))
        return Response({"results": result.results, "next_seq": result.next_seq, "server_time": result.server_time})


class MediaApi(DeviceApiView):
    """`PUT` the bytes of a photo or signature declared by an attach_media action; idempotent."""

    parser_classes: list = []
    error_statuses = {
        "media_not_declared": 404,
        "sha256_mismatch": 422,
        "too_large": 413,
        "corrupt_image": 422,
        "unsupported_format": 415,
        "too_many_pixels": 422,
    }

    @extend_schema(
        tags=[TAG],
        parameters=[MEDIA_ID],
        responses={200: s.MediaOutputSerializer, **ERRORS, 404: OpenApiResponse(s.ErrorSerializer)},
    )
    def get(self, request: Request, media_id: str) -> Response:
        parsed = parse_uuid(media_id)
        if parsed is None:
            return error_response(
                400, "invalid", _("Must be a valid UUID."), {"media_id": [_("Must be a valid UUID.")]}
            )
        media = (
            MediaUpload.objects.filter(pk=parsed, action__device__driver_id=self.device(request).driver_id)
            .select_related("action")
            .first()
        )
        if media is None:
            return error_response(404, "not_found", _("Unknown media ID."))
        return Response(s.MediaOutputSerializer(media).data)

    @extend_schema(
        tags=[TAG],
        request={
            "image/jpeg": OpenApiTypes.BINARY,
            "image/png": OpenApiTypes.BINARY,
            "image/webp": OpenApiTypes.BINARY,
        },
        parameters=[
            MEDIA_ID,
            OpenApiParameter(
                "X-Content-SHA256",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="Hex SHA-256 of the bytes; must match the bytes and the action's sha256.",
            ),
        ],
        responses={
            200: OpenApiResponse(s.MediaOutputSerializer, description="Already stored (a resend)."),
            201: s.MediaOutputSerializer,
            **ERRORS,
            404: OpenApiResponse(s.ErrorSerializer, description="No attach_media action declared this ID."),
            413: OpenApiResponse(s.ErrorSerializer, description="Larger than the size limit."),
            415: OpenApiResponse(s.ErrorSerializer, description="Not JPEG, PNG or WebP."),
            422: OpenApiResponse(s.ErrorSerializer, description="SHA-256 mismatch, corrupt or oversize image."),
        },
    )
    def put(self, request: Request, media_id: str) -> Response:
        parsed = parse_uuid(media_id)
        if parsed is None:
            return error_response(
                400, "invalid", _("Must be a valid UUID."), {"media_id": [_("Must be a valid UUID.")]}
            )
        if content_length(request) > settings.SYNC_MEDIA_MAX_BYTES:
            limit = settings.SYNC_MEDIA_MAX_BYTES
            return error_response(413, "too_large", _("The file is larger than %(limit)s bytes.") % {"limit": limit})
        media, created = services.media_upload(
            device=self.device(request),
            media_id=parsed,
            data=request.body,
            sha256=request.headers.get("X-Content-SHA256", ""),
        )
        return Response(s.MediaOutputSerializer(media).data, status=201 if created else 200)


class LocationAppendApi(DeviceApiView):
    """Append a batch of GPS points; points the device sent before are ignored."""

    max_body_bytes = MAX_PUSH_BODY_BYTES

    @extend_schema(
        tags=[TAG],
        request=s.LocationsInputSerializer,
        responses={200: s.LocationsOutputSerializer, **ERRORS, 413: OpenApiResponse(s.ErrorSerializer)},
    )
    def post(self, request: Request) -> Response:
        data = s.LocationsInputSerializer(data=request.data)
        if not data.is_valid():
            return error_response(400, "invalid", _("The points are malformed."), data.errors)
        points = [
            services.PointInput(
                seq=point["seq"],
                latitude=point["latitude"],
                longitude=point["longitude"],
                accuracy_m=point.get("accuracy_m"),
                recorded_at=point["recorded_at"],
                stop_id=point.get("stop"),
            )
            for point in data.validated_data["points"]
        ]
        try:
            stored, duplicates = services.location_points_append(device=self.device(request), points=points)
        except DjangoValidationError as error:
            return error_response(400, "invalid", _("The points are malformed."), error.message_dict)
        return Response({"stored": stored, "duplicates": duplicates})


class ChangeFeedApi(DeviceApiView):
    """What the office changed on the driver's routes since the cursor, in server order."""

    @extend_schema(
        tags=[TAG],
        parameters=[OpenApiParameter("cursor", OpenApiTypes.INT, description="The last cursor received; 0 at first.")],
        responses={200: s.ChangesOutputSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = s.ChangesQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return error_response(400, "invalid", _("The cursor must be a whole number."), query.errors)
        cursor = query.validated_data["cursor"]
        changes = selectors.change_feed_for_driver(driver=self.device(request).driver, cursor=cursor)
        output = {
            "changes": changes,
            "cursor": changes[-1].pk if changes else cursor,
            "has_more": len(changes) == constants.MAX_CHANGES_PER_PAGE,
            "server_time": timezone.now(),
        }
        return Response(s.ChangesOutputSerializer(output).data)


class PushSubscriptionApi(DeviceApiView):
    """Store this phone's Web Push subscription (the browser's PushSubscription.toJSON())."""

    @extend_schema(
        tags=[TAG],
        request=s.PushSubscriptionSerializer,
        responses={204: None, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        data = s.PushSubscriptionSerializer(data=request.data)
        if not data.is_valid():
            return error_response(400, "invalid", _("The subscription is malformed."), data.errors)
        services.device_set_push_subscription(device=self.device(request), subscription=data.validated_data)
        return Response(status=204)

    @extend_schema(tags=[TAG], responses={204: None, **ERRORS})
    def delete(self, request: Request) -> Response:
        services.device_set_push_subscription(device=self.device(request), subscription=None)
        return Response(status=204)


class WebPushKeyApi(APIView):
    """The VAPID public key the phone subscribes with (empty when Web Push is not configured)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(tags=[TAG], responses={200: s.WebPushKeySerializer}, auth=[])
    def get(self, request: Request) -> Response:
        return Response({"public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY, "enabled": web_push_enabled()})
