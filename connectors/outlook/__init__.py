"""Outlook.com and Microsoft 365 mail through OAuth (device code or browser), mail over IMAP with XOAUTH2."""
