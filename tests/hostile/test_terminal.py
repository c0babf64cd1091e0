"""tether in a real terminal (tmux on a private socket) against a hostile feed.

A feed that writes the clipboard (OSC 52), retitles the window (OSC 0/2), clears the screen and
sends C1 and bidi controls in its name, summary and location must leave tmux's paste buffers and
the pane title untouched while tether lists, checks and repaints it. First the same sequences are
printed raw in the same pane, to show that this terminal would obey them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import add_ical
from tests.conftest import tether_env
from tests.hostile.payloads import MARKUP
from tests.servers.feeds import FeedServer
from tests.support import require_server, wait_until

pytestmark = [pytest.mark.realserver, pytest.mark.serial]  # a real terminal: run alone, not beside other workers

LABEL = f"Feed {MARKUP}"
TITLE = "tether-test-title"


class Tmux:
    """One tmux server on a private socket, one fixed-size pane."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"tether-test-{uuid.uuid4().hex[:12]}"
        self.env = env

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env, check=check, timeout=10
        )

    def start(self) -> None:
        self("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "150", "-y", "40", "sleep 600")
        # OSC 52 from a program becomes a paste buffer (and the outer clipboard); OSC 0/2 set the pane title.
        self("set-option", "-g", "set-clipboard", "on")
        self("set-option", "-g", "remain-on-exit", "on")
        self("select-pane", "-t", "t", "-T", TITLE)

    def run(self, command: str) -> None:
        self("respawn-pane", "-k", "-t", "t", command)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t").stdout

    def title(self) -> str:
        return self("display-message", "-p", "-t", "t", "#{pane_title}").stdout.strip()

    def buffers(self) -> str:
        return self("list-buffers", "-F", "#{buffer_name}: #{buffer_sample}").stdout

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 40) -> None:
        wait_until(condition, what, timeout, shown=self.screen)

    def stop(self) -> None:
        socket = self("display-message", "-p", "#{socket_path}", check=False).stdout.strip()
        self("kill-server", check=False)
        if socket:
            Path(socket).unlink(missing_ok=True)


@pytest.fixture
def tmux(data_dir: Path) -> Iterator[Tmux]:
    require_server(shutil.which("tmux") is not None, "tmux", "apt-get install tmux")
    env = tether_env(data_dir)
    env.pop("TMUX", None)  # never talk to a tmux the tests run inside
    server = Tmux(env)
    server.start()
    yield server
    server.stop()


def test_a_hostile_feed_leaves_clipboard_and_title_alone(
    tether_cli, tmux: Tmux, hostile_feed_server: FeedServer, data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    # The terminal obeys these sequences when a program prints them raw: the test can see an attack.
    tmux.run("printf '\\033]2;obeyed\\033\\\\\\033]52;c;b2JleWVk\\007'; sleep 600")
    tmux.wait_for("the raw title and clipboard writes", lambda: tmux.title() == "obeyed" and "obeyed" in tmux.buffers())
    tmux("delete-buffer", check=False)
    tmux("select-pane", "-t", "t", "-T", TITLE)
    assert tmux.title() == TITLE and tmux.buffers() == ""

    added = add_ical(
        tether_cli, LABEL, hostile_feed_server.url("/hostile.ics"), "--set", f"ca_file={hostile_feed_server.ca_file}"
    )
    assert added.returncode == 0, added.output

    tmux.run(f"{shlex.quote(sys.executable)} -m app --data-dir {shlex.quote(str(data_dir))}")
    tmux.wait_for("the list", lambda: "Feed [/x] [b]b[/b]" in tmux.screen())
    tmux("send-keys", "-t", "t", "r")  # check it now: a toast and the detail pane quote the feed

    def attacked() -> bool:
        return tmux.title() != TITLE or tmux.buffers() != ""

    tmux.wait_for("the check's toast", lambda: "[/nope]" in tmux.screen() or attacked())
    tmux("send-keys", "-t", "t", "R")  # check all: repaints again
    time.sleep(1)  # let several repaints happen; nothing to wait for when the attack fails
    assert tmux.title() == TITLE, f"the feed retitled the pane: {tmux.title()!r}"
    assert tmux.buffers() == "", f"the feed wrote the clipboard: {tmux.buffers()!r}"
    shown = tmux.screen()
    assert "Calname [/nope]" in shown and "\N{REPLACEMENT CHARACTER}" in shown, shown

    tmux("send-keys", "-t", "t", "q")
    tmux.wait_for(
        "tether to quit", lambda: tmux("display-message", "-p", "-t", "t", "#{pane_dead}").stdout.strip() == "1"
    )
    assert tmux.title() == TITLE and tmux.buffers() == ""
