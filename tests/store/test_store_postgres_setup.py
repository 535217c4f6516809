"""scripts/ensure_postgres.sh: valid shell, and a no-op when a server already listens."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_postgres.sh"


def test_script_is_valid_bash():
    bash = shutil.which("bash")
    assert bash is not None and SCRIPT.is_file()
    subprocess.run([bash, "-n", str(SCRIPT)], check=True)


def test_script_does_nothing_when_a_server_listens(pg_server):
    host, port, script = pg_server
    assert script == SCRIPT
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PGPORT": str(port)})
    assert proc.returncode == 0, proc.stderr
    assert f"a server already listens on 127.0.0.1:{port}; nothing to do" in proc.stdout
