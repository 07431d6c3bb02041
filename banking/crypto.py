"""File protection: AES-256-GCM encryption under a per-bank key, then an Ed25519 or RSA-PSS signature.

The envelope uploaded to the bank is `LGACH1` · signature length (2 bytes, big-endian) ·
signature · 12-byte nonce · ciphertext-and-tag. The file name is the GCM associated data, so a
file renamed on the way is refused. The signature covers nonce and ciphertext (encrypt-then-sign),
so the bank can check who sent a file before decrypting it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from banking import secrets as bank_secrets

MAGIC = b"LGACH1"
ED25519 = "ed25519"
RSA_PSS = "rsa-pss"


class EnvelopeError(ValueError):
    pass


@dataclass(frozen=True)
class BankKeys:
    file_key: bytes
    signing_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    bank_public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | None


def load_file_key(text: str) -> bytes:
    key = base64.b64decode(text)
    if len(key) != 32:
        raise EnvelopeError("the file key must be 32 bytes (AES-256), base64-encoded")
    return key


def load_bank_keys(key_reference: str) -> BankKeys:
    file_key = load_file_key(bank_secrets.bank_secret(key_reference, bank_secrets.FILE_KEY))
    signing_key = serialization.load_pem_private_key(
        bank_secrets.bank_secret(key_reference, bank_secrets.SIGNING_KEY).encode(), password=None
    )
    if not isinstance(signing_key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise EnvelopeError("the signing key must be Ed25519 or RSA")
    try:
        public_text = bank_secrets.bank_secret(key_reference, bank_secrets.BANK_PUBLIC_KEY)
    except bank_secrets.SecretNotFoundError:
        bank_public_key = None
    else:
        bank_public_key = serialization.load_pem_public_key(public_text.encode())
        if not isinstance(bank_public_key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
            raise EnvelopeError("the bank's public key must be Ed25519 or RSA")
    return BankKeys(file_key=file_key, signing_key=signing_key, bank_public_key=bank_public_key)


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)


def sign(private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey, data: bytes, algorithm: str) -> bytes:
    if algorithm == ED25519:
        if not isinstance(private_key, ed25519.Ed25519PrivateKey):
            raise EnvelopeError("the bank is configured for Ed25519 but the signing key is not Ed25519")
        return private_key.sign(data)
    if algorithm == RSA_PSS:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise EnvelopeError("the bank is configured for RSA-PSS but the signing key is not RSA")
        return private_key.sign(data, _pss(), hashes.SHA256())
    raise EnvelopeError(f"unknown signature algorithm {algorithm!r}")


def verify(public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey, signature: bytes, data: bytes) -> None:
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
        else:
            public_key.verify(signature, data, _pss(), hashes.SHA256())
    except InvalidSignature as error:
        raise EnvelopeError("the signature does not match: the file was altered or not signed by the sender") from error


def seal(
    *,
    plain: bytes,
    file_name: str,
    file_key: bytes,
    signing_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey,
    algorithm: str,
) -> bytes:
    """Encrypt then sign; returns the envelope bytes."""
    nonce = os.urandom(12)
    ciphertext = AESGCM(file_key).encrypt(nonce, plain, file_name.encode())
    body = nonce + ciphertext
    signature = sign(signing_key, body, algorithm)
    return MAGIC + struct.pack(">H", len(signature)) + signature + body


def open_envelope(
    *,
    envelope: bytes,
    file_name: str,
    file_key: bytes,
    sender_public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey,
) -> bytes:
    """Verify the sender's signature, then decrypt; refuses anything altered."""
    if not envelope.startswith(MAGIC) or len(envelope) < len(MAGIC) + 2:
        raise EnvelopeError("not a LuckyGas ACH envelope")
    (length,) = struct.unpack(">H", envelope[len(MAGIC) : len(MAGIC) + 2])
    start = len(MAGIC) + 2
    signature, body = envelope[start : start + length], envelope[start + length :]
    verify(sender_public_key, signature, body)
    try:
        return AESGCM(file_key).decrypt(body[:12], body[12:], file_name.encode())
    except InvalidTag as error:
        raise EnvelopeError("decryption failed: wrong key, wrong file name or altered file") from error


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Account numbers at rest -------------------------------------------------------------
class AccountKeyError(ValueError):
    """No configured key opens a stored account number."""


def _derived_account_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"luckygas-banking-accounts").derive(
        secret_key.encode()
    )


def account_keys() -> list[bytes]:
    """The key that encrypts first, then every key that may still decrypt, newest first.

    `LUCKYGAS_BANKING_ACCOUNT_KEY` is one key or several separated by commas (the first encrypts, the
    others are old ones kept readable until `reencrypt_bank_accounts` has run). Without it, the key is
    derived from `DJANGO_SECRET_KEY`; keys derived from Django's `SECRET_KEY_FALLBACKS` (and, once a
    dedicated key exists, from the secret key itself) stay readable too, so neither rotating the secret
    key nor adding a dedicated key makes a stored number unreadable.
    """
    derived = [_derived_account_key(key) for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    try:
        dedicated = bank_secrets.secrets.get(bank_secrets.ACCOUNT_KEY_NAME)
    except bank_secrets.SecretNotFoundError:
        return derived
    return [load_file_key(part.strip()) for part in dedicated.split(",") if part.strip()] + derived


def encrypt_account(account: str) -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(account_keys()[0]).encrypt(nonce, account.encode("ascii"), b"account")
    return base64.b64encode(nonce + ciphertext).decode("ascii")


def decrypt_account_with_key(token: str) -> tuple[str, int]:
    """The account number and the position of the key that opened it (0: the current key)."""
    raw = base64.b64decode(token)
    for position, key in enumerate(account_keys()):
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], b"account").decode("ascii"), position
        except InvalidTag:
            continue
    raise AccountKeyError(
        "no configured key opens this account number: set the key it was stored under in "
        f"{bank_secrets.ACCOUNT_KEY_NAME} (after the current one, comma-separated) or DJANGO_SECRET_KEY_FALLBACKS"
    )


def decrypt_account(token: str) -> str:
    return decrypt_account_with_key(token)[0]
