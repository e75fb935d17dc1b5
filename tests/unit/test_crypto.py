"""Tokens encrypted at rest, with key rotation."""

from __future__ import annotations

import pytest

from bot.crypto import DecryptionError, TokenCipher, generate_key


def test_a_token_round_trips_and_is_not_stored_in_clear() -> None:
    cipher = TokenCipher(generate_key())
    stored = cipher.encrypt("xoxb-secret")
    assert "xoxb" not in stored
    assert cipher.decrypt(stored) == "xoxb-secret"


def test_rotation_keeps_old_values_readable_then_moves_them_to_the_new_key() -> None:
    old, new = generate_key(), generate_key()
    stored = TokenCipher(old).encrypt("xoxb-1")
    both = TokenCipher(f"{new},{old}")
    rotated = both.rotate(stored)
    assert TokenCipher(new).decrypt(rotated) == "xoxb-1"
    with pytest.raises(DecryptionError):
        TokenCipher(new).decrypt(stored)


def test_without_a_key_values_pass_through_but_encrypted_ones_are_refused() -> None:
    assert TokenCipher(None).encrypt("xoxb-1") == "xoxb-1"
    with pytest.raises(DecryptionError, match="ENCRYPTION_KEY is not set"):
        TokenCipher(None).decrypt(TokenCipher(generate_key()).encrypt("xoxb-1"))


def test_a_malformed_key_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="must be Fernet keys"):
        TokenCipher("not-a-key")
