"""Ports to PostgreSQL: plain parameterised SQL, named after its use."""
