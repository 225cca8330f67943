"""An interrupt while git works in the registry must not leave git's lock behind.

A killed ``git commit`` leaves ``.git/index.lock``, and every later certification of every dataset
fails on it. The commit here is slowed by a pre-commit hook (``commit -a`` holds the index lock while
its hooks run) and its datavet process gets Ctrl-C in the middle: datavet unwinds only after git has finished.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys
from pathlib import Path
from datavet.registry import Registry
registry = Registry(root=Path(sys.argv[1]), remote=sys.argv[2])
print("committing", flush=True)
try:
    registry.git("commit", "-q", "-a", "-m", "slow commit")
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def test_ctrl_c_during_git_commit_leaves_no_index_lock(tmp_path: Path) -> None:
    repo = tmp_path / "registry"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.name", "t"], ["config", "user.email", "t@localhost"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    (repo / "data.txt").write_text("one\n")
    subprocess.run(["git", "add", "data.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=repo, check=True)
    (repo / "data.txt").write_text("two\n")  # `commit -a` holds .git/index.lock while its hooks run
    started = repo / "hook-started"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch '{started}'\nsleep 2\n")
    hook.chmod(0o755)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(repo), str(tmp_path / "remote")],
                             stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline and child.poll() is None, "the commit never reached its hook"
        time.sleep(0.02)
    assert (repo / ".git" / "index.lock").exists()  # git holds the lock while the hook runs
    os.kill(child.pid, signal.SIGINT)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 130 and "interrupted" in out
    assert not (repo / ".git" / "index.lock").exists()
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True, text=True, check=True)
    assert log.stdout.split("\n")[0] == "slow commit"  # git finished its command; datavet unwound after it
