"""Use cases: one public method per thing a user does (check access, load, act, map)."""
