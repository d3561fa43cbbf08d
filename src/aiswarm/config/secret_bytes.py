"""Turn a secret's text into the bytes that are used, by one rule for every source.

A secret arrives as an environment variable, as a file named by ``AIS_…_FILE``, or (paper mode)
as a file in the state directory. Each goes through ``secret_text``: leading and trailing ASCII
whitespace (space, tab, LF, CR, VT, FF) is removed, because a file written by ``echo`` or an
editor ends with a line break that nobody means as part of the key, and the same secret must
give the same key whichever way it is passed. Nothing else changes: no Unicode normalisation,
no hex or base64 decoding. The key is then the text's UTF-8 bytes (``secret_bytes``), at least
32 of them. docs/approvals.md states the rule byte by byte.
"""

from __future__ import annotations

from pydantic import SecretStr

from aiswarm.errors import ConfigError

__all__ = ["decode_secret_file", "secret_bytes", "secret_text"]

_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
"""The characters removed from both ends of a secret: ASCII whitespace, nothing else."""


def secret_text(raw: str) -> str:
    """Return the secret ``raw`` holds: ASCII whitespace at either end removed.

    Raises ValueError when the text cannot be UTF-8 (an environment variable holding bytes that
    are not UTF-8 arrives with surrogate escapes).
    """
    text = raw.strip(_ASCII_WHITESPACE)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the secret is not UTF-8 text; write it as UTF-8") from None
    return text


def decode_secret_file(data: bytes, source: str) -> str:
    """Return the secret in a file's ``data`` (UTF-8); raise ``ConfigError`` naming ``source``."""
    try:
        return secret_text(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{source} is not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); "
            "write the secret as UTF-8 text"
        ) from None


def secret_bytes(secret: SecretStr) -> bytes:
    """Return the bytes a (loaded, so already stripped) secret is used as: its UTF-8 encoding."""
    return secret.get_secret_value().encode("utf-8")
