"""Encryption at rest for kubeconfigs pasted into the console.

The key is ``FIELD_ENCRYPTION_KEY`` (a Fernet key); without it, one is derived from
``SECRET_KEY`` so development works, at the price of re-entering credentials if the secret
key changes.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode()
    return Fernet(key)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored credentials cannot be decrypted with the current key") from exc
