"""The server's own words, as shown to a person: without library noise, secrets or excess length."""

from connectors.errors import ErrorKind
from connectors.imap.replies import command_refused, login_refused, server_words


def test_library_wrapping_is_removed() -> None:
    assert server_words("login failed: b'[AUTHENTICATIONFAILED] Authentication failed.'") == "[AUTHENTICATIONFAILED] Authentication failed."
    assert server_words("AUTHENTICATE command error: NO [b'[ALERT] Too many']") == "[ALERT] Too many"


def test_long_replies_are_trimmed_and_secrets_masked() -> None:
    words = server_words("select failed: " + "x" * 500 + " hunter2", secrets=("hunter2",))
    assert len(words) == 200 and words.endswith("…") and "hunter2" not in words
    assert server_words("NO echo hunter2 back", secrets=("hunter2",)) == "NO echo *** back"


def test_refusals_are_classified_by_what_the_person_can_do() -> None:
    assert login_refused("[UNAVAILABLE] Maximum number of connections from user+IP exceeded", "me").kind is ErrorKind.RATE_LIMITED
    assert login_refused("[PRIVACYREQUIRED] Plaintext authentication disallowed", "me").field == "tls_mode"
    assert login_refused("[AUTHENTICATIONFAILED] Invalid credentials (Failure)", "me").kind is ErrorKind.AUTH
    assert command_refused("open the folder X", "Mailbox doesn't exist: X").kind is ErrorKind.NOT_FOUND
    refused = command_refused("save a message to Sent", "[OVERQUOTA] Quota exceeded")
    assert refused.kind is ErrorKind.SERVER and "[OVERQUOTA] Quota exceeded" in refused.message
