"""The read side: queries that return plain data (frozen dataclasses) for screens, the CLI and the API.

A query opens its own read-only session and hands back values, never ORM
objects, so the shells need neither SQLAlchemy nor the models.
"""
