"""Helpers the test folders share: harnesses over the real stack, and in-memory fakes of
the ports for unit tests."""
