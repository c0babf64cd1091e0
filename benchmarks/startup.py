"""Start-up time of the TUI, as a ratio to a bare Textual app showing one label, measured in the same run.

Both are launched in tmux and polled with capture-pane until their text is on screen:
- bare: the label;
- tether, first paint: the list's column header (drawn before the data directory is opened);
- tether, rows painted: the first row of a prepared data directory (the whole visible list is drawn at once).

The headline is the rows: that is when a user can act on the list (goal: at most 1.5x bare).

The CPU time each process had used by then is printed too (Linux /proc): on a busy machine it
moves much less than the wall time. --also CHECKOUT times a second copy of tether (say, the
commit before a change) in the same rounds, so a before/after comparison sees the same load.

Run: python benchmarks/startup.py [--rounds 7] [--also CHECKOUT]. Needs tmux. Prints medians and ratios.
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
BARE_APP = """
from textual.app import App
from textual.widgets import Label


class Bare(App):
    def compose(self):
        yield Label("bare app ready")


Bare().run()
"""


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


def byte_compile(repo: Path) -> None:
    """Compile tether's modules first, as installing it does: a stale or missing .pyc would time the compiler."""
    packages = [str(repo / name) for name in ("app", "screens", "widgets", "storage", "connectors")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


def screen_text() -> str:
    result = subprocess.run([*TMUX, "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True)
    return result.stdout


def cpu_seconds() -> float:
    """User + system CPU time the pane's process (all its threads) has used so far; it was started with exec."""
    pid = subprocess.run(
        [*TMUX, "display-message", "-p", "-t", SESSION, "#{pane_pid}"], capture_output=True, text=True
    ).stdout.strip()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_until(command: str, marks: list[str], timeout: float = 20.0) -> tuple[list[float], float]:
    """Seconds from launch until each mark is on screen, in order, and the CPU seconds used when the last appeared."""
    start = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command], check=True)
    found: list[float] = []
    cpu = float("nan")
    try:
        while len(found) < len(marks):
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"never saw {marks[len(found)]!r}:\n{screen_text()}")
            text = screen_text()
            while len(found) < len(marks) and marks[len(found)] in text:
                found.append(time.perf_counter() - start)
            if len(found) == len(marks):
                cpu = cpu_seconds()
            time.sleep(0.003)
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)
    return found, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--also",
        type=Path,
        metavar="CHECKOUT",
        help="time another checkout of tether in the same rounds (before/after)",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed for this benchmark.", file=sys.stderr)
        return 2
    repos = {"tether": REPO, **({"other": args.also.resolve()} if args.also else {})}
    load_before = os.getloadavg()[0]
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keep", "sleep 3600"], check=True)
    try:
        with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
            root = Path(tmp)
            for repo in repos.values():
                byte_compile(repo)
            data = prepare_data_dir(root)
            bare_script = root / "bare.py"
            bare_script.write_text(BARE_APP)
            env = "TERM=xterm-256color TETHER_SECRET_STORE=vault"
            bare_cmd = f"cd {REPO} && exec env {env} {sys.executable} {bare_script}"
            commands = {
                name: f"cd {repo} && exec env {env} {sys.executable} -m app --data-dir {data}"
                for name, repo in repos.items()
            }
            bare: list[float] = []
            bare_cpu: list[float] = []
            results: dict[str, dict[str, list[float]]] = {name: {"paint": [], "rows": [], "cpu": []} for name in repos}
            for _ in range(args.rounds):  # alternate, so machine load affects all alike
                (seen,), cpu = time_until(bare_cmd, ["bare app ready"])
                bare.append(seen)
                bare_cpu.append(cpu)
                for name, command in commands.items():
                    (paint, rows), cpu = time_until(command, ["Status", "Bench feed 00"])
                    results[name]["paint"].append(paint)
                    results[name]["rows"].append(rows)
                    results[name]["cpu"].append(cpu)
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    b, bc = statistics.median(bare), statistics.median(bare_cpu)
    print(f"rounds: {args.rounds} (medians); load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"bare Textual app, label painted:   {b * 1000:7.0f} ms   CPU {bc * 1000:5.0f} ms")
    for name, result in results.items():
        where = repos[name]
        p, r, c = (statistics.median(result[key]) for key in ("paint", "rows", "cpu"))
        rows_ratio = statistics.median(rows / base for rows, base in zip(result["rows"], bare, strict=True))
        print(f"{name} ({where}):")
        print(f"  first paint (list header):       {p * 1000:7.0f} ms   ratio {p / b:.2f}x")
        print(f"  list rows painted:               {r * 1000:7.0f} ms   CPU {c * 1000:5.0f} ms ({c / bc:.2f}x bare)")
        print(f"  ROWS PAINTED vs bare Textual: {rows_ratio:.2f}x (median of per-round ratios; goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
