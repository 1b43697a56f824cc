"""What the numbers were measured on, and what a server process tree uses (from /proc)."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK")


def describe() -> list[str]:
    """Return lines naming the date, the machine and the software versions."""
    cpu = "unknown CPU"
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    redis = "not installed"
    try:
        redis = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=True, timeout=5
        ).stdout.split()[2]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"Machine: {cpu}, {os.cpu_count()} cores, {memory} RAM, Linux {platform.release()}",
        f"Software: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"gunicorn {version('gunicorn')} (gevent {version('gevent')}), Flask {version('flask')}, "
        f"WeasyPrint {version('weasyprint')}, redis-server {redis.removeprefix('v=')}",
    ]


def raise_file_limit() -> int:
    """Let this process hold as many sockets as the hard limit allows; return the limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def own_cpu() -> float:
    """CPU seconds used so far by this process and its finished children (``workshop create``)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and all its descendants (gunicorn's master and workers)."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _read(entry / "stat")
            if stat:
                fields = stat.rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += parents.get(current, [])
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used by ``pid`` and its live descendants."""
    total = 0
    for member in process_tree(pid):
        stat = _read(PROC / str(member) / "stat")
        if stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def memory(pid: int) -> tuple[int, int]:
    """Return the summed RSS and PSS (shared pages split fairly) of the tree, in bytes."""
    rss = pss = 0
    for member in process_tree(pid):
        for line in _read(PROC / str(member) / "status").splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1]) * 1024
        for line in _read(PROC / str(member) / "smaps_rollup").splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, every process) since boot."""
    fields = _read("/proc/stat").splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def load_average() -> float:
    """The 1-minute load average."""
    return float(_read("/proc/loadavg").split()[0] or 0)
