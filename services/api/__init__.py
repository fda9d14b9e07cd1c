"""The public HTTP API: Flask app factory, routes, gunicorn and Lambda entry points."""
