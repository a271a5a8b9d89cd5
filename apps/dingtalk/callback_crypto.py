"""DingTalk's event-callback crypto (HTTP push mode), shared by the endpoint and the emulator.

Signature: hex SHA-1 of the sorted concatenation of token, timestamp, nonce and the
ciphertext. Cipher: AES-256-CBC with key = base64(EncodingAESKey + "=") and IV = key[:16];
plaintext = 16 random bytes | 4-byte big-endian length | message | owner key (the AppKey
for an internal app). DingTalk pads to 32-byte blocks; decryption reads the pad length from
the last byte, which accepts the 16-byte padding of the Go helper too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackCryptoError(ValueError):
    """A push that is not from DingTalk (bad signature, key or owner) or is malformed."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()  # noqa: S324


def verify(token: str, timestamp: str, nonce: str, encrypt: str, given: str) -> None:
    if not given or not hmac.compare_digest(signature(token, timestamp, nonce, encrypt), given):
        raise CallbackCryptoError("signature mismatch")


def _key(aes_key: str) -> bytes:
    try:
        key = base64.b64decode(aes_key + "=")
    except ValueError:
        raise CallbackCryptoError("illegal aes key") from None
    if len(aes_key) != 43 or len(key) != 32:
        raise CallbackCryptoError("illegal aes key")
    return key


def encrypt(aes_key: str, owner_key: str, message: str, *, random: bytes | None = None) -> str:
    key = _key(aes_key)
    body = message.encode()
    plain = (random or os.urandom(16)) + struct.pack(">I", len(body)) + body + owner_key.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(aes_key: str, owner_key: str, ciphertext: str) -> str:
    key = _key(aes_key)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except ValueError:
        raise CallbackCryptoError("ciphertext is not base64") from None
    if not raw or len(raw) % 16:
        raise CallbackCryptoError("ciphertext length")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or pad > len(plain):
        raise CallbackCryptoError("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CallbackCryptoError("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, owner = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length:
        raise CallbackCryptoError("length mismatch")
    if owner.decode(errors="replace") != owner_key:
        raise CallbackCryptoError("owner key mismatch")
    return message.decode()


def reply(token: str, aes_key: str, owner_key: str, timestamp: str, nonce: str, message: str = "success") -> dict:
    """The body DingTalk expects back: the encrypted ``success`` and its signature."""
    ciphertext = encrypt(aes_key, owner_key, message)
    return {
        "msg_signature": signature(token, timestamp, nonce, ciphertext),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": ciphertext,
    }
