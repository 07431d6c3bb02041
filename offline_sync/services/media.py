"""Photos and signatures: idempotent upload of the bytes of a declared media ID."""

import hashlib
import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luckygas.errors import DomainError
from offline_sync import constants
from offline_sync.models import (
    DriverDevice,
    MediaUpload,
)

# --- Media ---------------------------------------------------------------------------------


class MediaError(DomainError):
    """Bytes refused: media_not_declared, sha256_mismatch, too_large, corrupt_image, unsupported_format…"""


def media_upload(*, device: DriverDevice, media_id: uuid.UUID, data: bytes, sha256: str) -> tuple[MediaUpload, bool]:
    """Store the bytes of a declared photo or signature; idempotent. Returns (media, created)."""
    from PIL import Image, UnidentifiedImageError

    digest = hashlib.sha256(data).hexdigest()
    declared = (sha256 or "").strip().lower()
    media = MediaUpload.objects.select_related("action__device").filter(pk=media_id).first()
    if media is None or media.action.device.driver_id != device.driver_id:
        raise MediaError(
            code="media_not_declared",
            errors={"media_id": [_("Push the attach_media action for this media ID first.")]},
        )
    if not declared or declared != digest or declared != media.sha256:
        raise MediaError(
            code="sha256_mismatch",
            errors={"sha256": [_("The SHA-256 of the bytes does not match the declared one.")]},
        )
    if media.is_uploaded:
        return media, False
    if len(data) > settings.SYNC_MEDIA_MAX_BYTES:
        raise MediaError(
            code="too_large",
            errors={"file": [_("The file is larger than %(limit)s bytes.") % {"limit": settings.SYNC_MEDIA_MAX_BYTES}]},
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise MediaError(
            code="corrupt_image", errors={"file": [_("This is not a readable JPEG, PNG or WebP image.")]}
        ) from error
    if image_format not in constants.MEDIA_FORMATS:
        raise MediaError(
            code="unsupported_format", errors={"file": [_("Only JPEG, PNG and WebP images are accepted.")]}
        )
    if max(width, height) > constants.MEDIA_MAX_LONG_SIDE or min(width, height) > constants.MEDIA_MAX_SHORT_SIDE:
        raise MediaError(
            code="too_many_pixels",
            errors={
                "file": [
                    _("Images may be at most 800 × 600 pixels; this one is %(w)s × %(h)s.")
                    % {
                        "w": width,
                        "h": height,
                    }
                ]
            },
        )
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image_format]
    with transaction.atomic():
        locked = MediaUpload.objects.select_for_update().get(pk=media.pk)
        if locked.is_uploaded:
            return locked, False
        locked.file.save(f"{locked.pk}.{extension}", ContentFile(data), save=False)
        locked.content_type = constants.MEDIA_FORMATS[image_format]
        locked.width = width
        locked.height = height
        locked.uploaded_at = timezone.now()
        locked.save(update_fields=["file", "content_type", "width", "height", "uploaded_at"])
    return locked, True
