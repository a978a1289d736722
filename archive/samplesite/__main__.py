"""``python -m archive.samplesite``: serve the sample site in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from archive.samplesite import ArticleError, SampleSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive.samplesite", description=__doc__)
    parser.add_argument("--extra", type=int, default=0, metavar="N", help="add N generated articles")
    parser.add_argument("--seed", type=int, default=0, help="seed for the generated articles")
    parser.add_argument("--write-sources", type=Path, metavar="FILE", help="write the sources TOML to FILE")
    parser.add_argument("--warm", action="store_true",
                        help="render (and gzip) every page a crawl reaches before announcing the site "
                             "(benchmarks then time the crawler, not the templates)")
    parser.add_argument("--no-gzip", action="store_true",
                        help="never gzip responses, even for clients that accept gzip")
    args = parser.parse_args(argv)
    if args.extra < 0:
        parser.error("--extra must be 0 or more")
    try:
        site = SampleSite(extra_articles=args.extra, seed=args.seed, gzip=not args.no_gzip)
    except ArticleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopped = threading.Event()
    # A benchmark stops this process with SIGTERM; treat it like Ctrl-C so the ports are released.
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with site:
        if args.warm:
            site.warm()
        if args.write_sources:
            # Written aside then renamed: a benchmark polls for this file and must never read half of it.
            partial = args.write_sources.with_name(args.write_sources.name + ".part")
            partial.write_text(site.sources_toml(), encoding="utf-8")
            partial.replace(args.write_sources)
        for name, url in site.base_urls.items():
            print(f"{name:<9} {url}/", flush=True)
        print(f"{len(site.articles)} articles; press Ctrl-C to stop.", flush=True)
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
