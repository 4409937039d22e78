"""The host's own WSGI entry point: `gunicorn -c python:tocsin.gunicorn wsgi:app`."""

from app import create_app

app = create_app()
