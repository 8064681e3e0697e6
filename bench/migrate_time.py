"""How long `manage.py migrate` takes on an empty SQLite database, with dj-stripe's own
migrations and with them skipped (DJSTRIPE_SKIP_MIGRATIONS=1, as the test databases do).

    .venv/bin/python bench/migrate_time.py

Prints seconds for each. Uses throw-away databases in a temporary directory.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def migrate_seconds(skip: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}
        if skip:
            env["DJSTRIPE_SKIP_MIGRATIONS"] = "1"
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)
        return time.perf_counter() - started


if __name__ == "__main__":
    print(f"migrate, dj-stripe migrations skipped: {migrate_seconds(True):.1f} s")
    print(f"migrate, with dj-stripe's migrations:  {migrate_seconds(False):.1f} s")
