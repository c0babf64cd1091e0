"""OAuth 2.0 for any provider a type declares: sign-in (loopback with PKCE, pasted address, device code),
access tokens kept in memory, refresh-token rotation, revocation, and IMAP with XOAUTH2.

A type says who its provider is with an ``OAuthProvider`` (connectors.oauth.provider); everything here
works from that declaration and the integration's settings, so a new OAuth type is a new folder with
a spec and needs nothing outside ``connectors/``.
"""
