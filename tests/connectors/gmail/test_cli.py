"""`tether add gmail`, `check`, `reauth` and `remove` end to end, as a person would run them over SSH."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TEST_PASSPHRASE
from tests.connectors.gmail.conftest import INBOX, USER, Google

LABEL = "Work Gmail"
SSH_ENV = {"SSH_CONNECTION": "198.51.100.4 52144 192.0.2.10 22", "USER": "ann"}


@dataclass
class Transcript:
    """Everything tether printed in this test, to search for leaked secrets."""

    chunks: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.chunks)


@pytest.fixture
def cli(data_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    transcript = Transcript()
    env = {
        **os.environ,
        **SSH_ENV,
        "TETHER_LOG_DIR": str(tmp_path / "logs"),
        "PYTHONPATH": str(REPO_ROOT),
        "TETHER_PASSPHRASE_COMMAND": f"printf '%s' '{TEST_PASSPHRASE}'",
        "TETHER_DATA_DIR": str(data_dir),
    }

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "--verbose", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            env=env,
        )

    def run(*args: str) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "app", "--verbose", *args],
            input="",
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=env,
            timeout=60,
        )
        transcript.chunks += [done.stdout, done.stderr]
        return done.returncode, done.stdout + done.stderr

    def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
        out, err = process.communicate(timeout=60)
        transcript.chunks += [out, err]
        return process.returncode, out + err

    return start, run, finish, transcript


def _settings_args(google: Google) -> list[str]:
    args: list[str] = []
    for key, value in google.settings.items():
        args += ["--set", f"{key}={value}"]
    return args


def _read_url(process: subprocess.Popen[str], transcript: Transcript) -> str:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        assert line, "tether ended before printing the sign-in address"
        transcript.chunks.append(line)
        if line.startswith("https://"):
            return line.strip()


def _status(run, label: str = LABEL) -> dict:  # type: ignore[no-untyped-def]
    code, output = run("list", "--json")
    assert code == 0, output
    return next(item for item in json.loads(output) if item["label"] == label)


def _add_by_paste(google: Google, cli) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    start, _, finish, transcript = cli
    process = start("add", "gmail", "--label", LABEL, *_settings_args(google), "--secret-stdin", "client_secret")
    assert process.stdin is not None
    process.stdin.write(google.oauth.client_secret + "\n")
    process.stdin.flush()
    url = _read_url(process, transcript)
    # The browser is on the person's own computer: the redirect to 127.0.0.1 fails there; they paste it.
    location = google.consent(url, follow=False)
    process.stdin.write(location + "\n")
    process.stdin.flush()
    return finish(process)


def test_add_by_pasting_the_redirected_address_shows_the_tunnel_and_the_preview(google: Google, cli) -> None:  # type: ignore[no-untyped-def]
    code, output = _add_by_paste(google, cli)
    assert code == 0, output
    assert "ssh -N -L" in output and "ann@192.0.2.10" in output
    assert f"Signed in as {USER}" in output
    assert f"Added {LABEL!r}" in output and f"INBOX {INBOX} messages" in output
    status = _status(cli[1])
    assert status["status"] == "connected"


def test_add_by_loopback_redirect(google: Google, cli) -> None:  # type: ignore[no-untyped-def]
    start, run, finish, transcript = cli
    process = start("add", "gmail", "--label", LABEL, *_settings_args(google), "--secret-stdin", "client_secret")
    assert process.stdin is not None
    process.stdin.write(google.oauth.client_secret + "\n")
    process.stdin.flush()
    google.consent(_read_url(process, transcript))  # the browser follows the redirect to tether's listener
    code, output = finish(process)
    assert code == 0, output
    assert _status(run)["status"] == "connected"


def test_declined_consent_saves_nothing(google: Google, cli) -> None:  # type: ignore[no-untyped-def]
    start, run, finish, transcript = cli
    google.oauth.state.deny_consent = True
    process = start("add", "gmail", "--label", LABEL, *_settings_args(google), "--secret-stdin", "client_secret")
    assert process.stdin is not None
    process.stdin.write(google.oauth.client_secret + "\n")
    process.stdin.flush()
    google.consent(_read_url(process, transcript))
    code, output = finish(process)
    assert code == 1 and "Access was not granted" in output
    assert run("list")[1].startswith("No integrations")


@pytest.mark.slow
def test_revoked_then_reauthenticated_keeps_label_and_workflows_and_remove_revokes(
    google: Google,
    cli,
    data_dir: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    start, run, finish, transcript = cli
    assert _add_by_paste(google, cli)[0] == 0
    assert run("workflow", "add", "Morning brief", "--source", LABEL)[0] == 0

    # Every `tether check` is a new process: it refreshes, the server rotates, the new token must be kept.
    for _ in range(2):
        code, output = run("check", LABEL)
        assert code == 0, output
    assert google.oauth.state.refreshes >= 2

    google.oauth.state.revoke_user(USER)
    code, output = run("check", LABEL)
    assert code == 1 and "Google no longer accepts this sign-in" in output
    assert _status(run)["status"] == "needs_reauth"

    process = start("reauth", LABEL)
    google.consent(_read_url(process, transcript))
    code, output = finish(process)
    assert code == 0, output
    assert f"Re-authenticated {LABEL!r} as {USER}" in output
    status = _status(run)
    assert status["status"] == "connected"
    code, output = run("workflow", "list", "--json")
    links = json.loads(output)[0]["integrations"]
    assert links == [{"label": LABEL, "role": "source", "access": "read", "missing": False}]

    live_before = set(google.oauth.state.live_refresh_tokens())
    assert live_before
    code, output = run("remove", LABEL, "--yes")
    assert code == 0 and "Revoked its Google sign-in" in output
    assert not set(google.oauth.state.live_refresh_tokens()) & live_before

    # No token and no client secret anywhere a person or a file could see them, even with --verbose.
    database = (data_dir / "tether.db").read_bytes()
    seen = transcript.text()
    logs = "".join(path.read_text() for path in (tmp_path / "logs").glob("*.log*"))
    assert "check failed" in logs  # the log was written
    for secret in google.all_tokens():
        assert secret not in seen
        assert secret.encode() not in database
        assert secret not in logs
        xoauth2 = base64.b64encode(f"user={USER}\1auth=Bearer {secret}\1\1".encode()).decode()
        assert xoauth2[:40] not in logs


def test_remove_says_so_when_the_sign_in_could_not_be_revoked_and_removes_anyway(google: Google, cli) -> None:  # type: ignore[no-untyped-def]
    _, run, _, _ = cli
    assert _add_by_paste(google, cli)[0] == 0
    code, output = run("edit", LABEL, "--set", "revoke_url=https://127.0.0.1:9/revoke")
    assert code == 0, output
    code, output = run("remove", LABEL, "--yes")
    assert (
        code == 0 and "Could not revoke the Google sign-in" in output and "myaccount.google.com/permissions" in output
    )
    assert f"Removed {LABEL!r}" in output
    assert run("list")[1].startswith("No integrations")
