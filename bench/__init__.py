"""The list-page benchmark: a deterministic database, the app under gunicorn, and its floor."""
