"""Start-up time of the TUI, as a ratio to a bare Textual app showing one label, measured in the same run.

Both are launched in tmux and polled with capture-pane until their text is on screen:
- bare: the label;
- tether, first paint: the list's column header (drawn before the data directory is opened);
- tether, list painted: the rows of a prepared data directory (after the database is read).

The headline is the rows: that is when a user can act on the list (goal: at most 1.5x bare).

Run: python benchmarks/startup.py [--rounds 7]. Needs tmux. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SESSION = "tether-startup-bench"
# A tmux server of our own: other tmux users on the machine are not disturbed, and a session that
# stays open keeps the server alive between launches (otherwise a launch can race its exit).
TMUX = ["tmux", "-L", f"tether-bench-{os.getpid()}", "-f", "/dev/null"]
BARE_APP = '''
from textual.app import App
from textual.widgets import Label


class Bare(App):
    def compose(self):
        yield Label("bare app ready")


Bare().run()
'''


def prepare_data_dir(root: Path, count: int = 20) -> Path:
    """A data directory with a few integrations (no secrets needed to list them)."""
    data = root / "data"
    env = {**os.environ, "TETHER_SECRET_STORE": "vault"}
    code = (
        "import sys\n"
        "from app.core.context import open_context\n"
        "repo = open_context(sys.argv[1]).storage.integrations\n"
        f"for n in range({count}):\n"
        "    repo.add('ical', f'Bench feed {n:02d}', {}, {})\n"
    )
    subprocess.run([sys.executable, "-c", code, str(data)], cwd=REPO, env=env, check=True)
    return data


def byte_compile() -> None:
    """Compile tether's modules first, as installing it does: a stale or missing .pyc would time the compiler."""
    packages = [str(REPO / name) for name in ("app", "screens", "widgets", "storage", "connectors")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


def screen_text() -> str:
    result = subprocess.run([*TMUX, "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True)
    return result.stdout


def time_until(command: str, marks: list[str], timeout: float = 20.0) -> list[float]:
    """Seconds from launch until each mark is on screen, in order."""
    start = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command], check=True)
    found: list[float] = []
    try:
        while len(found) < len(marks):
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"never saw {marks[len(found)]!r}:\n{screen_text()}")
            text = screen_text()
            while len(found) < len(marks) and marks[len(found)] in text:
                found.append(time.perf_counter() - start)
            time.sleep(0.003)
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed for this benchmark.", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keep", "sleep 3600"], check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
            root = Path(tmp)
            byte_compile()
            data = prepare_data_dir(root)
            bare_script = root / "bare.py"
            bare_script.write_text(BARE_APP)
            python = sys.executable
            env = f"cd {REPO} && TERM=xterm-256color TETHER_SECRET_STORE=vault"
            bare_cmd = f"{env} {python} {bare_script}"
            tether_cmd = f"{env} {python} -m app --data-dir {data}"
            bare, first_paint, listed = [], [], []
            for _ in range(args.rounds):  # alternate, so machine load affects both alike
                bare.append(time_until(bare_cmd, ["bare app ready"])[0])
                paint, rows = time_until(tether_cmd, ["Status", "Bench feed 19"])
                first_paint.append(paint)
                listed.append(rows)
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    b, p, r = statistics.median(bare), statistics.median(first_paint), statistics.median(listed)
    rows_ratio = statistics.median(rows / base for rows, base in zip(listed, bare))
    print(f"rounds: {args.rounds} (medians); load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"bare Textual app, label painted:   {b * 1000:7.0f} ms")
    print(f"tether, first paint (list header): {p * 1000:7.0f} ms   ratio {p / b:.2f}x")
    print(f"tether, list rows painted:         {r * 1000:7.0f} ms   ratio {r / b:.2f}x")
    print(f"ROWS PAINTED vs bare Textual: {rows_ratio:.2f}x (median of per-round ratios; goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
