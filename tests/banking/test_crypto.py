"""File protection: AES-256-GCM then Ed25519 or RSA-PSS; any change to the file, its name or its key is refused."""

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from banking import crypto


@pytest.mark.parametrize(
    ("algorithm", "make_key"),
    [
        ("ed25519", ed25519.Ed25519PrivateKey.generate),
        ("rsa-pss", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ],
)
def test_sealed_file_opens_only_unaltered_with_the_right_keys(algorithm: str, make_key) -> None:
    key, file_key, plain = make_key(), os.urandom(32), b"BOFACHP01" + b" " * 241 + b"\r\n"
    sealed = crypto.seal(plain=plain, file_name="a.enc", file_key=file_key, signing_key=key, algorithm=algorithm)
    assert plain not in sealed
    opened = crypto.open_envelope(
        envelope=sealed, file_name="a.enc", file_key=file_key, sender_public_key=key.public_key()
    )
    assert opened == plain
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(crypto.EnvelopeError, match="signature does not match"):
        crypto.open_envelope(
            envelope=tampered, file_name="a.enc", file_key=file_key, sender_public_key=key.public_key()
        )
    with pytest.raises(crypto.EnvelopeError, match="decryption failed"):
        crypto.open_envelope(envelope=sealed, file_name="b.enc", file_key=file_key, sender_public_key=key.public_key())
    with pytest.raises(crypto.EnvelopeError, match="decryption failed"):
        crypto.open_envelope(
            envelope=sealed, file_name="a.enc", file_key=os.urandom(32), sender_public_key=key.public_key()
        )
    impostor = make_key()
    with pytest.raises(crypto.EnvelopeError, match="signature does not match"):
        crypto.open_envelope(
            envelope=sealed, file_name="a.enc", file_key=file_key, sender_public_key=impostor.public_key()
        )


def test_the_configured_algorithm_must_match_the_key() -> None:
    with pytest.raises(crypto.EnvelopeError, match="configured for RSA-PSS"):
        crypto.seal(
            plain=b"x",
            file_name="a",
            file_key=os.urandom(32),
            signing_key=ed25519.Ed25519PrivateKey.generate(),
            algorithm="rsa-pss",
        )
