"""``python -m archive`` is the ``govarchive`` command."""

from archive.cli import cli

cli()
