"""The log file and its mask: no secret reaches it, whether known by value or by shape."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.core.logging_setup import MASK, MaskingFilter, SecretMasker, setup_logging


@pytest.fixture
def masker() -> SecretMasker:
    return SecretMasker()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /cal HTTP/1.1\r\nAuthorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("headers={'authorization': 'Bearer ya29.A0ARrdaM-token'}", "ya29.A0ARrdaM-token"),
        ("sending Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("fetching https://me:hunter2@dav.example.com/cal/", "hunter2"),
        ("GET https://example.com/feed.ics?user=me&token=abc123def&x=1", "abc123def"),
        ("POST /token client_id=app&client_secret=sh-h-h-h&grant_type=refresh_token", "sh-h-h-h"),
        ("body refresh_token=1//0gRefresh&other=1", "1//0gRefresh"),
        ('{"access_token": "ya29.secretvalue", "expires_in": 3599}', "ya29.secretvalue"),
        ('b\'a001 LOGIN "me@example.com" "p4ss w0rd"\'', "p4ss w0rd"),
        ("> b'a002 LOGIN me s3cr3tpw'", "s3cr3tpw"),
        ("> b'a003 AUTHENTICATE XOAUTH2 dXNlcj1tZQFhdXRoPUJlYXJlcg=='", "dXNlcj1tZQFhdXRoPUJlYXJlcg=="),
        (
            "https://calendar.google.com/calendar/ical/me%40gmail.com/private-0123456789abcdef/basic.ics",
            "0123456789abcdef",
        ),
        ("password: 'open sesame'", "open sesame"),
    ],
)
def test_secret_shaped_text_is_masked(masker: SecretMasker, text: str, secret: str) -> None:
    masked = masker.mask(text)
    assert secret not in masked
    assert MASK in masked


def test_ordinary_text_is_left_alone(masker: SecretMasker) -> None:
    text = "check ok in 120 ms: 4 events, next: Planning at 14:00 (imap.example.com:993, INBOX)"
    assert masker.mask(text) == text


def test_registered_values_are_masked_anywhere_longest_first(masker: SecretMasker) -> None:
    masker.remember(["pw", "correct-horse", "correct-horse-battery"])  # "pw" is too short to mask safely
    masked = masker.mask("tried correct-horse-battery then correct-horse; pw stays")
    assert masked == f"tried {MASK} then {MASK}; pw stays"


def test_log_file_is_private_rotating_masked_and_labelled(tmp_path: Path) -> None:
    from app.core.logging_setup import remember_secrets

    path = setup_logging(verbose=False, directory=tmp_path / "logs")
    try:
        assert path is not None and path.stat().st_mode & 0o777 == 0o600
        remember_secrets(["run-time-secret-value"])
        logger = logging.getLogger("tether.test")
        logger.info("connecting with %s", "run-time-secret-value", extra={"integration": "Work mail"})
        logger.debug("debug is off without --verbose")
        try:
            raise RuntimeError("token=leaky-token-123 in an exception")
        except RuntimeError:
            logger.exception("it failed", extra={"integration": "Work mail"})
        logging.getLogger("imapclient").info("> b'a1 LOGIN me hunter22'")
        text = path.read_text()
        assert "run-time-secret-value" not in text and "leaky-token-123" not in text and "hunter22" not in text
        assert "[Work mail] connecting with ***" in text
        assert "RuntimeError: token=***" in text
        assert "debug is off" not in text
        assert text.split()[0].count("-") == 2  # starts with a date
        setup_logging(verbose=True, directory=tmp_path / "logs")
        logging.getLogger("imapclient").debug("> b'a2 LOGIN me hunter22'")
        text = path.read_text()
        assert "a2 LOGIN me ***" in text and "hunter22" not in text
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "tether_handler", False):
                logging.getLogger().removeHandler(handler)
                handler.close()


def test_the_filter_survives_a_broken_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)
    assert MaskingFilter(SecretMasker()).filter(record)
    assert record.getMessage() == "%d items"


def test_verbose_flag_raises_the_level(tether_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    quiet = tether_cli("list", extra_env={"TETHER_LOG_DIR": str(logs)})
    assert quiet.returncode == 0
    assert "DEBUG" not in (logs / "tether.log").read_text() if (logs / "tether.log").exists() else True
    loud = tether_cli("--verbose", "list", extra_env={"TETHER_LOG_DIR": str(logs)})
    assert loud.returncode == 0
    assert "DEBUG" in (logs / "tether.log").read_text()
