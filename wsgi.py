"""WSGI entry point: ``gunicorn wsgi:app`` (or any WSGI server)."""
from prepay_admin.app import create_app

app = create_app()
