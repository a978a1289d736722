"""The archive is served the same whatever the server's locale: its plugins are Python modules,
read as UTF-8 source, not files read in the locale's encoding."""

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


def test_serve_under_the_c_locale_without_utf8_mode_serves_vietnamese_pages(archive_copy):
    # LC_ALL=C keeps Python from coercing the locale to C.UTF-8, so files are read as ASCII.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    server = subprocess.Popen([GOVARCHIVE, "serve", "--db", str(archive_copy), "--port", "0"], cwd=archive_copy.parent,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace")
    try:
        line = server.stdout.readline()
        assert line.startswith("Serving "), line + server.stderr.read()[-3000:]
        base = re.search(r"http://[^/]+:\d+/", line).group()
        with urllib.request.urlopen(base + "-/search?q=zalo", timeout=60) as response:
            page = response.read().decode("utf-8")
        assert "Nguồn" in page and "Tháng" in page
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
