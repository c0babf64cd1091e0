"""IMAP mail with a password. The declaration is light; the client loads only when used."""
