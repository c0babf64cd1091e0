"""The server's own words, as shown to a person: without library noise, secrets or excess length."""

from connectors.errors import ErrorKind
from connectors.imap.replies import command_refused, login_refused, server_words


def test_library_wrapping_is_removed() -> None:
    assert (
        server_words("login failed: b'[AUTHENTICATIONFAILED] Authentication failed.'")
        == "[AUTHENTICATIONFAILED] Authentication failed."
    )
    assert server_words("AUTHENTICATE command error: NO [b'[ALERT] Too many']") == "[ALERT] Too many"


def test_long_replies_are_trimmed_and_secrets_masked() -> None:
    words = server_words("select failed: " + "x" * 500 + " hunter2", secrets=("hunter2",))
    assert len(words) == 200 and words.endswith("…") and "hunter2" not in words
    assert server_words("NO echo hunter2 back", secrets=("hunter2",)) == "NO echo *** back"


def test_refusals_are_classified_by_what_the_person_can_do() -> None:
    assert (
        login_refused("[UNAVAILABLE] Maximum number of connections from user+IP exceeded", "me").kind
        is ErrorKind.RATE_LIMITED
    )
    assert login_refused("[PRIVACYREQUIRED] Plaintext authentication disallowed", "me").field == "tls_mode"
    assert login_refused("[AUTHENTICATIONFAILED] Invalid credentials (Failure)", "me").kind is ErrorKind.AUTH
    assert command_refused("open the folder X", "Mailbox doesn't exist: X").kind is ErrorKind.NOT_FOUND
    refused = command_refused("save a message to Sent", "[OVERQUOTA] Quota exceeded")
    assert refused.kind is ErrorKind.SERVER and "[OVERQUOTA] Quota exceeded" in refused.message


def test_python_reprs_and_library_advice_become_one_readable_line() -> None:
    # imapclient's InvalidCriteriaError: the server's words, then paragraphs of advice and a link.
    advice = (
        "Error in IMAP command UID SEARCH: Unknown argument FOO (0.001 + 0.000 secs).\n\n"
        "This error may have been caused by a syntax error in the criteria: ['FOO']\n"
        "Please refer to the documentation for more information about search criteria syntax..\n"
        "https://imapclient.readthedocs.io/en/master/#imapclient.IMAPClient.search"
    )
    assert server_words(advice) == "Error in IMAP command UID SEARCH: Unknown argument FOO (0.001 + 0.000 secs)."
    # A bytes repr with escaped UTF-8 and an escaped line break, inside a list repr.
    assert server_words(
        "SELECT command error: BAD [b'Mailbox doesn\\'t exist: Gr\\xc3\\xbc\\xc3\\x9fe\\r\\nnext']"
    ) == ("Mailbox doesn't exist: Grüße next")
    # Raw control characters, a direction override and line breaks from a hostile server.
    assert server_words("NO bad\r\n\x1b[31mthing\u202e here\x00") == "NO bad [31mthing here"


def test_a_non_ascii_secret_is_masked_even_inside_a_bytes_repr() -> None:
    words = server_words("login failed: b'[AUTH] wrong p\\xc3\\xa4ss for me'", secrets=("päss",))
    assert "päss" not in words and "\\xc3" not in words and words == "[AUTH] wrong *** for me"
