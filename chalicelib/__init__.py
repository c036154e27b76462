"""Skyroll: a serverless photo and video library."""

__version__ = "0.1.0"
