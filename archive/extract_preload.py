"""Imported for its effect by the fork server that starts a crawl's extraction workers
(crawler/pipelines.py): what extraction would load at its first use in every worker is loaded
here once, and each worker, replacements included, starts with it.

Without it, each worker spent 1.3 s of CPU on dateparser's locales at the first page whose date
only dateparser reads (one of the sample site's 115 pages), and so did every new worker.
"""

import logging

from archive.extract import warm_up

try:
    warm_up()
except Exception:  # it only saves time; the fork server ignores nothing but ImportError
    logging.getLogger(__name__).warning("extraction warm-up failed; workers load it themselves", exc_info=True)
