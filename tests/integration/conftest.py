"""Fixtures shared by the integration tests: the fake Binance and a ccxt venue on it."""

from kit.binance_venue import binance_venue, fake_binance

__all__ = ["binance_venue", "fake_binance"]
