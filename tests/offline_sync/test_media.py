"""PUT /api/v1/driver/media/<uuid>: idempotent, hash-checked, bound to its action and stop."""

import hashlib
import io
import uuid

import pytest
from PIL import Image

from offline_sync.models import MediaUpload


def image_bytes(size: tuple[int, int] = (640, 480), image_format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def declare(phone, stop, data: bytes, kind: str = "photo") -> str:
    media_id = str(uuid.uuid4())
    action = phone.action("attach_media", stop, media_id=media_id, kind=kind, sha256=hashlib.sha256(data).hexdigest())
    assert phone.push(action).json()["results"][0]["result"] == "applied"
    return media_id


def put(phone, media_id: str, data: bytes, sha256: str | None = None, content_type: str = "image/jpeg"):
    return phone.client.put(
        f"/api/v1/driver/media/{media_id}",
        data,
        content_type=content_type,
        HTTP_X_CONTENT_SHA256=sha256 or hashlib.sha256(data).hexdigest(),
    )


def test_photo_upload_is_idempotent_and_lands_on_its_stop(route_a, phone_a):
    stop = route_a.stops.first()
    data = image_bytes()
    media_id = declare(phone_a, stop, data)
    # the stop shows the proof as pending until the bytes arrive
    assert MediaUpload.objects.get(pk=media_id).is_uploaded is False
    first = put(phone_a, media_id, data)
    again = put(phone_a, media_id, data)
    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert first.json()["stop"] == again.json()["stop"] == stop.pk
    media = MediaUpload.objects.get(pk=media_id)
    assert media.is_uploaded
    assert (media.width, media.height, media.content_type) == (640, 480, "image/jpeg")
    assert media.file.read() == data
    assert phone_a.client.get(f"/api/v1/driver/media/{media_id}").json()["uploaded"] is True


def test_hash_mismatch_is_rejected_and_stores_nothing(route_a, phone_a):
    stop = route_a.stops.first()
    data = image_bytes()
    media_id = declare(phone_a, stop, data)
    other = image_bytes((320, 240))
    response = put(phone_a, media_id, other, sha256=hashlib.sha256(other).hexdigest())
    assert response.status_code == 422
    assert response.json()["code"] == "sha256_mismatch"
    response = put(phone_a, media_id, data, sha256="0" * 64)
    assert response.status_code == 422
    assert not MediaUpload.objects.get(pk=media_id).is_uploaded


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (image_bytes((1024, 768)), 422, "too_many_pixels"),
        (b"\xff\xd8\xff\xe0 this is not really a jpeg", 422, "corrupt_image"),
        (image_bytes((100, 100), "GIF"), 415, "unsupported_format"),
    ],
)
def test_oversize_corrupt_or_unsupported_images_are_refused(route_a, phone_a, data, status, code):
    media_id = declare(phone_a, route_a.stops.first(), data)
    response = put(phone_a, media_id, data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not MediaUpload.objects.get(pk=media_id).is_uploaded


def test_portrait_signature_and_webp_are_accepted(route_a, phone_a):
    data = image_bytes((600, 800), "WEBP")
    media_id = declare(phone_a, route_a.stops.first(), data, kind="signature")
    assert put(phone_a, media_id, data, content_type="image/webp").status_code == 201


def test_too_large_file_is_413(route_a, phone_a, settings):
    data = image_bytes()
    media_id = declare(phone_a, route_a.stops.first(), data)
    response = put(phone_a, media_id, data + b"\0" * (2 * 1024 * 1024))
    assert response.status_code == 413


def test_undeclared_or_another_drivers_media_is_404(route_a, phone_a, phone_b):
    data = image_bytes()
    assert put(phone_a, str(uuid.uuid4()), data).status_code == 404
    media_id = declare(phone_a, route_a.stops.first(), data)
    assert put(phone_b, media_id, data).status_code == 404
    assert not MediaUpload.objects.get(pk=media_id).is_uploaded


def test_a_media_id_binds_to_one_action_only(route_a, phone_a):
    first, second = route_a.stops.order_by("sequence")[:2]
    data = image_bytes()
    media_id = declare(phone_a, first, data)
    action = phone_a.action(
        "attach_media", second, media_id=media_id, kind="photo", sha256=hashlib.sha256(data).hexdigest()
    )
    result = phone_a.push(action).json()["results"][0]
    assert result["result"] == "rejected"
    assert list(result["errors"]) == ["media_id"]
    assert MediaUpload.objects.get(pk=media_id).stop_id == first.pk
