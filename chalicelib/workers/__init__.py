"""Pipeline stage logic; functions/<stage>/handler.py adapts Lambda events onto these."""
