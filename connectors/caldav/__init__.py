"""CalDAV calendars with discovery (Nextcloud, Fastmail, iCloud, Radicale...)."""
