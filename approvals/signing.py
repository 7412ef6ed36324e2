"""HMAC keys for the audit chain and the approval requests' digests.

The keys come from the environment (`AUDIT_HMAC_KEYS`), never from the database: whoever can
write the bot's tables (its own role, the owner role, a DBA) still cannot forge a row's hash or a
request's digest without them.

    AUDIT_HMAC_KEYS="k2:<secret>,k1:<older secret>"

The first key signs everything new; every listed key verifies (rows and requests carry the id
of the key that signed them). Rotation: put a new key first and keep the old one listed for as
long as rows or pending requests signed with it must verify (the old rows: for good, or until an
archived log is verified with it). A secret is at least 32 characters; a key id is a short word.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

MIN_SECRET_LENGTH = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

Check = Literal["ok", "mismatch", "unknown key"]  # internal: codes


class KeysError(ValueError):
    """`AUDIT_HMAC_KEYS` is malformed; the message names the problem, never a secret."""


@dataclass(frozen=True)
class SigningKeys:
    current: str  # the id of the key that signs
    secrets: dict[str, bytes]

    @classmethod
    def parse(cls, text: str) -> SigningKeys:
        """`id:secret[,id:secret…]`, the first one signing; KeysError for anything else."""
        pairs = [part.strip() for part in text.split(",") if part.strip()]
        if not pairs:
            # KeysError is read by whoever deploys (rtb-bot check-config), as ops/config/'s
            expected = "no key: expected id:secret[,id:secret…] (the first one signs)"  # internal
            raise KeysError(expected)
        secrets: dict[str, bytes] = {}
        for number, pair in enumerate(pairs, 1):
            key_id, sep, secret = pair.partition(":")
            if not sep or not _KEY_ID.match(key_id):
                shape = f"key {number} is not id:secret (id: letters, digits, _.-)"  # internal
                raise KeysError(shape)
            if len(secret) < MIN_SECRET_LENGTH:
                shorter = f"key {key_id}: its secret is shorter than"  # internal
                raise KeysError(f"{shorter} {MIN_SECRET_LENGTH}")
            if key_id in secrets:
                raise KeysError(f"key {key_id} is listed twice")  # internal
            secrets[key_id] = secret.encode()
        return cls(pairs[0].partition(":")[0], secrets)

    def sign(self, message: str) -> tuple[str, str]:
        """(key id, HMAC-SHA256 hex) of `message` with the current key."""
        return self.current, self.mac(self.current, message)

    def mac(self, key_id: str, message: str) -> str:
        return hmac.new(self.secrets[key_id], message.encode(), hashlib.sha256).hexdigest()

    def check(self, key_id: str | None, message: str, mac: str) -> Check:
        if key_id is None or key_id not in self.secrets:
            return "unknown key"  # internal: a Check
        return "ok" if hmac.compare_digest(self.mac(key_id, message), mac) else "mismatch"
