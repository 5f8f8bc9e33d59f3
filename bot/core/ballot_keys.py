"""The keyed hashes and seals of ballots, derived from the ballot key.

The ballot key never enters the database. From it:

- a ballot's *slot* is ``HMAC(key, "ballot:<poll>:<person token>")``: only the same
  person (through any linked account) finds their ballot again, and the token is
  random and deleted with the person, so nobody can recompute an erased person's
  slot, not even with the key;
- a *voter record* is ``HMAC(key, "voter:<poll>:<platform>:<user id>")``: one per
  account, so an account that voted stays known as having voted when it is
  unlinked or its person erased, until the poll closes;
- a *seal* is an AES-GCM encryption, under a key derived from the ballot key, of
  when a ballot was cast and in which collective: a reader of the database sees
  random bytes; the program reads it to keep the latest of two ballots when two
  voters turn out to be one person.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MIN_KEY_BYTES = 32
_SEAL = struct.Struct(">QQ")  # nanoseconds since the epoch, collective id
_NONCE = 12


class BallotKeys:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the ballot key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._aead = AESGCM(hmac.new(key, b"seal", hashlib.sha256).digest())

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def slot(self, poll_id: int, token: str) -> str:
        return self._mac(f"ballot:{poll_id}:{token}")

    def voter(self, poll_id: int, platform: str, user_id: str) -> str:
        return self._mac(f"voter:{poll_id}:{platform}:{user_id}")

    def legacy(self, purpose: str, poll_id: int, person_id: int) -> str:
        """The keyed hash of earlier versions (by person id), to convert old rows."""
        return self._mac(f"{purpose}:{poll_id}:{person_id}")

    def seal(self, collective_id: int, at_ns: int | None = None) -> str:
        nonce = os.urandom(_NONCE)
        plain = _SEAL.pack(at_ns if at_ns is not None else time.time_ns(), collective_id)
        return (nonce + self._aead.encrypt(nonce, plain, b"ballot")).hex()

    def unseal(self, sealed: str | None) -> tuple[int, int] | None:
        """(cast at, in nanoseconds; collective id), or None for no or a broken seal."""
        if not sealed:
            return None
        try:
            raw = bytes.fromhex(sealed)
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], b"ballot")
        except (ValueError, InvalidTag):
            return None
        at_ns, collective_id = _SEAL.unpack(plain)
        return at_ns, collective_id
