import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(tmp_path):
    """Run the real ``govarchive`` console script in a subprocess, in ``tmp_path``."""

    def run(*args, cwd=None, input=None, check=False):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("GOVARCHIVE_DB", None)
        env.pop("GOVARCHIVE_SOURCES", None)
        result = subprocess.run(
            [str(Path(sys.executable).with_name("govarchive")), *map(str, args)],
            cwd=cwd or tmp_path, env=env, input=input, capture_output=True, text=True, timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"govarchive {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    return run
