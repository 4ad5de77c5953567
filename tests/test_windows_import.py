"""The package imports where POSIX-only modules do not exist (Windows, where most analysts work): issue 13 item 10.

Each check runs in a fresh interpreter with `fcntl` made unavailable (`sys.modules["fcntl"] = None` makes every
`import fcntl` raise ImportError, as on Windows), so a module imported at package import time that needs it fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

WITHOUT_FCNTL = "import sys\nsys.modules['fcntl'] = None\n"


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore::UserWarning", "-c", WITHOUT_FCNTL + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_every_module_of_the_package_imports_without_fcntl(tmp_path: Path) -> None:
    done = _run(
        """
        import importlib, pkgutil
        import intervention_engine
        failed = []
        for module in pkgutil.walk_packages(intervention_engine.__path__, "intervention_engine."):
            if module.name.endswith("__main__"):
                continue  # running it would start the command line
            try:
                importlib.import_module(module.name)
            except ImportError as error:
                failed.append(f"{module.name}: {error}")
        print(len(failed), "failed;", "; ".join(failed))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 failed;"


def test_the_scheduler_lock_still_excludes_a_second_scheduler_without_fcntl(tmp_path: Path) -> None:
    done = _run(
        """
        from pathlib import Path
        from intervention_engine.scheduling.lock import FileLock, SchedulerAlreadyRunning
        first, second = FileLock.beside(Path("x.sqlite")), FileLock.beside(Path("x.sqlite"))
        first.acquire()
        try:
            second.acquire()
        except SchedulerAlreadyRunning:
            print("second refused")
        first.release()
        second.acquire()
        print("second took it after the first let go")
        second.release()
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["second refused", "second took it after the first let go"]
