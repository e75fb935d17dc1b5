"""Encryption at rest for secrets the bot stores (Slack installation tokens).

ENCRYPTION_KEY holds one or more Fernet keys, comma separated, newest first. New values are
encrypted with the first key; any listed key decrypts. To rotate: put a new key in front, run
`opensource-check rotate-keys` (re-encrypts stored values with it), then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with any configured key."""


class TokenCipher:
    """Encrypts and decrypts short strings; values without the prefix are passed through."""

    def __init__(self, keys: str | None) -> None:
        parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts]) if parts else None
        except ValueError as error:
            raise ValueError("ENCRYPTION_KEY must be Fernet keys (generate one with "
                             "`opensource-check generate-key`), comma separated") from error

    @property
    def enabled(self) -> bool:
        """True when a key is configured."""
        return self._fernet is not None

    def encrypt(self, value: str) -> str:
        """The value encrypted with the newest key (unchanged when no key is configured)."""
        if self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str) -> str:
        """The plain value; DecryptionError when no configured key fits."""
        if not value.startswith(PREFIX):
            return value
        if self._fernet is None:
            raise DecryptionError("a stored value is encrypted but ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise DecryptionError("no configured ENCRYPTION_KEY decrypts a stored value") from None

    def rotate(self, value: str) -> str:
        """Re-encrypt a stored value with the newest key (encrypting plain values too)."""
        return self.encrypt(self.decrypt(value))


def generate_key() -> str:
    """A new Fernet key for ENCRYPTION_KEY."""
    return Fernet.generate_key().decode()
