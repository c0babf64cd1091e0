"""Talks to the outside world (IMAP, HTTP, CalDAV, OAuth). Knows nothing of screens or storage."""
