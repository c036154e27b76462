"""Embedded stand-ins for AWS and Aurora, used by ``make dev`` and the tests."""
