"""`tether add outlook`, `check`, `reauth` and `remove` end to end, as a person would run them over SSH."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from tests.connectors.gmail.test_cli import Transcript, _read_url, _status, cli  # noqa: F401 - the cli fixture
from tests.connectors.outlook.conftest import INBOX, USER, Microsoft

LABEL = "Work Outlook"


def _settings_args(microsoft: Microsoft) -> list[str]:
    args: list[str] = []
    for key, value in microsoft.settings.items():
        args += ["--set", f"{key}={value}"]
    return args


def _read_code(process: subprocess.Popen[str], transcript: Transcript) -> tuple[str, str]:
    """The verification address and the user code, as printed for the person."""
    uri = _read_url(process, transcript)
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        assert line, "tether ended before printing the code"
        transcript.chunks.append(line)
        if line.strip():
            return uri, line.strip()


@pytest.mark.slow
def test_device_code_over_ssh_then_rotation_reauth_by_loopback_and_remove(
    microsoft: Microsoft, cli, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    start, run, finish, transcript = cli
    microsoft.oauth.state.access_token_lifetime = 30  # every use refreshes, and Microsoft rotates each time
    # Over SSH (the fixture's environment) the device code is the default: nothing has to reach this machine.
    process = start("add", "outlook", "--label", LABEL, *_settings_args(microsoft))
    uri, code = _read_code(process, transcript)
    assert uri == microsoft.oauth.url("/device")
    microsoft.verification_page(f"{uri}?user_code={code}")  # the person, on their phone
    status, output = finish(process)
    assert status == 0, output
    assert "enter the code" in output and f"Signed in as {USER}" in output
    assert f"Added {LABEL!r}" in output and f"INBOX {INBOX} messages" in output
    assert _status(run, LABEL)["status"] == "connected"
    assert _status(run, LABEL)["settings"]["address"] == USER

    status, output = run("check", LABEL)
    assert status == 0, output
    assert "workflow" not in output
    assert run("workflow", "add", "Digest", "--source", LABEL)[0] == 0

    microsoft.oauth.state.revoke_user(USER)  # access removed in the account
    status, output = run("check", LABEL)
    assert status != 0 and "Microsoft no longer accepts this sign-in" in output
    assert _status(run, LABEL)["status"] == "needs_reauth"

    # Sign in again through the browser instead, keeping the label and the workflow link.
    process = start("reauth", LABEL, "--signin-method", "loopback", "--no-browser")
    microsoft.consent(_read_url(process, transcript))
    status, output = finish(process)
    assert status == 0, output
    assert f"Re-authenticated {LABEL!r} as {USER}" in output
    assert _status(run, LABEL)["status"] == "connected"
    links = json.loads(run("workflow", "list", "--json")[1])[0]["integrations"]
    assert links == [{"label": LABEL, "role": "source", "access": "read", "missing": False}]

    status, output = run("remove", LABEL, "--yes")
    assert status == 0 and f"Removed {LABEL!r}" in output
    assert "Microsoft offers no way for tether to end this sign-in" in output
    assert "account.live.com/consent/Manage" in output

    database = (data_dir / "tether.db").read_bytes()
    seen = transcript.text()
    logs = "".join(path.read_text() for path in (tmp_path / "logs").glob("*.log*"))
    assert "check failed" in logs  # the log was written
    assert microsoft.all_tokens()
    for secret in microsoft.all_tokens():
        assert secret not in seen
        assert secret.encode() not in database
        assert secret not in logs
        xoauth2 = base64.b64encode(f"user={USER}\1auth=Bearer {secret}\1\1".encode()).decode()
        assert xoauth2[:40] not in logs
