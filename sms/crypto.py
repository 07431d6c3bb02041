"""Message bodies are encrypted at rest with Fernet; several keys allow rotation (MultiFernet).

Keys come from `SMS_BODY_KEYS` (or `SMS_BODY_KEYS_FILE`), newest first. Without a key, development
(DJANGO_DEBUG on) derives one from the secret key; production refuses to store or send bodies.
"""

import base64
import hashlib
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sms import conf


class BodyKeyMissingError(ImproperlyConfigured):
    pass


def _fernet() -> MultiFernet:
    keys = conf.body_keys()
    if not keys:
        if not settings.DEBUG:
            raise BodyKeyMissingError(
                "SMS_BODY_KEYS (or SMS_BODY_KEYS_FILE) must hold a Fernet key when DJANGO_DEBUG is off; "
                "refusing to store or send SMS bodies unencrypted. Generate one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
            )
        derived = hashlib.sha256(f"sms-body-dev:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise BodyKeyMissingError(f"SMS_BODY_KEYS holds an invalid Fernet key: {error}") from error


def check_keys() -> None:
    """Raise BodyKeyMissingError when bodies cannot be encrypted (called before sending)."""
    _fernet()


def encrypt_body(body: str) -> str:
    return _fernet().encrypt(body.encode()).decode()


def body_encrypter() -> Callable[[str], str]:
    """Encrypt many bodies with one key set (a bulk write); raises BodyKeyMissingError like check_keys."""
    fernet = _fernet()
    return lambda body: fernet.encrypt(body.encode()).decode()


def decrypt_body(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise BodyKeyMissingError("An SMS body cannot be decrypted with the configured SMS_BODY_KEYS.") from error


def rotate_body(token: str) -> str:
    """Re-encrypt a stored body with the newest key."""
    return _fernet().rotate(token.encode()).decode()
