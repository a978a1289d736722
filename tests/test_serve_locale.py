"""The archive is served the same whatever the server's locale: its plugins are Python modules,
read as UTF-8 source, not files read in the locale's encoding."""

import os
import re
import urllib.request

from tests.test_serve_listens import serving


def test_serve_under_the_c_locale_without_utf8_mode_serves_vietnamese_pages(archive_copy, tmp_path):
    # LC_ALL=C keeps Python from coercing the locale to C.UTF-8, so files are read as ASCII.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    log = tmp_path / "serve.log"
    try:
        with log.open("w") as stderr, serving(["serve", "--db", archive_copy, "--port", "0"], archive_copy.parent,
                                              env=env, stderr=stderr) as line:
            base = re.search(r"http://[^/]+:\d+/", line).group()
            with urllib.request.urlopen(base + "-/search?q=zalo", timeout=60) as response:
                page = response.read().decode("utf-8")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from None
    assert "Nguồn" in page and "Tháng" in page
