"""Fake venues for the tests: real wire formats on 127.0.0.1."""
