"""Owns the database, its migrations and the secret store. Knows nothing of screens or sockets."""
