"""Finding server settings from an email address: a shipped provider table, autoconfig files and DNS."""
