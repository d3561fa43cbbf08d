"""Encode an order's signed fields and an approval's message as the exact text that is signed.

One idea: what the bytes are. ``SIGNED_FIELDS`` names the ``OrderSpec`` fields an approval
covers, ``order_fields`` turns a spec into their canonical texts, and ``encode_message`` lays
those texts and the approval's own lines out as the bytes a key signs. The signer and the record
live in ``approval.py``, the check in ``approval_verifier.py``; both read the encoding from here,
so there is one definition of it.

The canonical encoding is specified byte by byte in docs/approvals.md, with a worked example
that tests/unit/risk/test_approval_encoding.py keeps honest.

Hot path: encoding runs for every order signed and every order verified, so field texts are read
straight from the model's values in one call (no dumping), and ``fields_match`` lets the
verifier compare plain ``str()`` texts before normalising any Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Final, NoReturn

from aiswarm.types import OrderSpec
from aiswarm.types.money import plain

__all__ = [
    "FIELD_COUNT",
    "MESSAGE_HEADER",
    "SIGNED_FIELDS",
    "canonical_texts",
    "encode_message",
    "fields_match",
    "order_fields",
]

MESSAGE_HEADER: Final = "aiswarm-approval/1"
"""The first line of every signed message; it changes whenever the encoding does."""

SIGNED_FIELDS: Final[tuple[str, ...]] = (
    "client_order_id",
    "mandate_id",
    "account",
    "venue",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "limit_price",
    "stop_price",
    "time_in_force",
    "reduce_only",
    "post_only",
)
"""The ``OrderSpec`` fields an approval signs, in the order they are encoded."""

FIELD_COUNT: Final = len(SIGNED_FIELDS)
"""How many field texts every approval carries."""


_decimal_text: Final = plain
"""Return a Decimal's canonical text: exact, no exponent, no trailing zeros (``types.money``).

``1.0``, ``1.00`` and ``1E0`` are all ``"1"``; ``1E+3`` is ``"1000"``; zero is ``"0"``; anything
but a Decimal raises TypeError. Approvals sign this text, so ``plain`` must never change; bound
here without a wrapper because signing calls it for every order.
"""


def _bool_text(name: str, value: object) -> str:
    """Return ``"true"``/``"false"`` for a bool; raise ValueError naming ``name`` otherwise."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise ValueError(f"{name}={value!r} ({type(value).__name__}): expected a boolean")


_SIGNED_VALUES: Final = itemgetter(*SIGNED_FIELDS)
"""Read every signed field from a model's ``__dict__`` in one C call."""


def canonical_texts(spec: OrderSpec) -> tuple[str, ...]:
    """Return the canonical text of each signed field, without ``order_fields``'s printable check.

    Reads the model's ``__dict__`` (where pydantic keeps field values) in one call to save a
    little on every order; ``object.__setattr__`` tampering lands there too, so nothing is
    missed. Raises TypeError, ValueError or KeyError for a value of the wrong type.
    """
    (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        quantity,
        limit_price,
        stop_price,
        time_in_force,
        reduce_only,
        post_only,
    ) = _SIGNED_VALUES(spec.__dict__)
    return (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        str(side),
        str(order_type),
        _decimal_text(quantity),
        "" if limit_price is None else _decimal_text(limit_price),
        "" if stop_price is None else _decimal_text(stop_price),
        str(time_in_force),
        # Spelled out for the two real booleans; anything else goes to the refusing helper.
        "false" if reduce_only is False else _bool_text("reduce_only", reduce_only),
        "false" if post_only is False else _bool_text("post_only", post_only),
    )


def fields_match(spec: OrderSpec, signed: tuple[str, ...]) -> bool:
    """Return True only if every signed field of ``spec`` has the value that was signed.

    The verifier's hot path. Ids compare as they are, as in ``canonical_texts``, and so do
    enums (a ``StrEnum`` member equals its value; ``str()`` of one is that value); a Decimal
    compares by ``str()``, which gives back its exact value, so equal text means an equal
    number, and ``_decimal_text`` (normalising) is not needed in the usual case.

    False means "not shown equal", not "different": the caller then compares the canonical
    texts, which decides (``0.010`` against a signed ``0.01``), names the field, or refuses a
    value of the wrong type.
    """
    (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        quantity,
        limit_price,
        stop_price,
        time_in_force,
        reduce_only,
        post_only,
    ) = _SIGNED_VALUES(spec.__dict__)
    if quantity.__class__ is not Decimal:
        return False
    # A None in the tuple (a price or flag of the wrong type) never equals a signed text.
    return (
        client_order_id,
        mandate_id,
        account,
        venue,
        symbol,
        side,
        order_type,
        str(quantity),
        ""
        if limit_price is None
        else str(limit_price)
        if limit_price.__class__ is Decimal
        else None,
        "" if stop_price is None else str(stop_price) if stop_price.__class__ is Decimal else None,
        time_in_force,
        "false" if reduce_only is False else "true" if reduce_only is True else None,
        "false" if post_only is False else "true" if post_only is True else None,
    ) == signed


def order_fields(spec: OrderSpec) -> tuple[str, ...]:
    """Return the canonical text of each signed field of ``spec``, in ``SIGNED_FIELDS`` order.

    Decimals are plain fixed-point without trailing zeros (``"0.01"``, ``"50000"``), None is
    ``""``, booleans are ``"true"``/``"false"`` and enums their value. Raises ValueError when a
    text field holds a character that is not printable (a newline, a unit separator, any other
    control character or non-space whitespace): such a value could blur the framing of the
    signed message, and no venue takes it anyway.
    """
    texts = canonical_texts(spec)
    # One join and one C-level scan: the cheapest check of all thirteen texts at once.
    if not "".join(texts).isprintable():
        _refuse_unprintable(texts)
    return texts


def _refuse_unprintable(texts: tuple[str, ...]) -> NoReturn:
    """Raise ValueError naming the first field whose text is not printable."""
    name, text = next(
        (n, t) for n, t in zip(SIGNED_FIELDS, texts, strict=True) if not t.isprintable()
    )
    raise ValueError(
        f"field {name}={text!r} holds a character that is not printable; signed fields "
        "must be printable text (no newlines or control characters): fix the value"
    )


def encode_message(
    key_id: str,
    algorithm: str,
    issued_at_ns: int,
    expires_at_ns: int,
    nonce: str,
    fields: tuple[str, ...],
) -> bytes:
    """Return the exact bytes that are signed (docs/approvals.md, "Canonical message").

    Nineteen lines joined by LF: the header, five approval lines, then the thirteen field texts
    by position. A tampered float time formats as ``1.7e+18``, never as the integer it replaced.
    """
    return (
        f"{MESSAGE_HEADER}\n{key_id}\n{algorithm}\n{issued_at_ns}\n{expires_at_ns}\n{nonce}\n"
        + "\n".join(fields)
    ).encode()
