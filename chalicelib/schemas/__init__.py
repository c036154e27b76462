"""Request and response DTOs (pydantic), camelCase on the wire."""
