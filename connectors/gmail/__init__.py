"""Gmail through OAuth 2.0 with PKCE, mail over IMAP with XOAUTH2."""
