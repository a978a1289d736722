"""Sources are data: loading and validating ``sources.toml``.

Every field is checked before any request is made, and every problem is reported as one line
that names the source and the field, shows the value refused and the lines it is written on, so
a typo never turns into a half-run crawl.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from re import _constants as sre_constants, _parser as sre_parse
from urllib.parse import quote, urlsplit, urlunsplit

from archive.urls import canonical_host, canonical_url
from archive.vietnamese import nfc

KINDS = ("national-portal", "ministry-portal", "province-portal", "press")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# The id names files (locks, queues, WARC files with a timestamp after it), and a file name
# has at most 255 bytes; 64 leaves room for the rest and is plenty for a site's short name.
ID_MAX = 64

SOURCE_KEYS = {
    "id", "name", "kind", "home", "allowed_domains", "article_pattern", "schedule",
    "discovery", "politeness", "extract", "enabled", "formerly",
}
REQUIRED_KEYS = ("id", "name", "kind", "home", "allowed_domains", "article_pattern", "schedule")
DISCOVERY_KEYS = {"sitemaps", "feeds", "listings", "recheck"}
LISTING_KEYS = {"url", "next", "page_url", "first_page", "page_step", "links"}
POLITENESS_KEYS = {"delay", "concurrency"}
EXTRACT_KEYS = {"body", "title", "author", "date"}
# Where an extracted record names the source's extract rules that gave its reading nothing on the
# page (archive.extract): not one of its fields, and never stored. Each says why: its selector
# matched no element, only elements without text, or (the date's) text without a date. Named
# here, not there, so that the crawler's process, whose workers extract, need not load trafilatura.
UNMATCHED_RULES = "unmatched_rules"
_UNMATCHED = {"nothing": "matched nothing", "no text": "matched only elements without text",
              "no date": "matched text without a date"}
# What a reading by a source's extract rules adds to the extractor's version, before the rules'
# fingerprint (archive.extract): the reading room tells a change of rules from a new extractor.
RULES_MARK = "+rules-"
# What the generic extractor reads where a rule gives nothing.
_RULED = {"body": "text", "title": "title", "author": "author", "date": "date"}


# Each way extraction_changed tells two readings were made otherwise, as the reading room and the
# search command name it (Vietnamese, English).
EXTRACTION_CHANGES = {"release": ("phiên bản trình trích xuất khác", "another extractor release"),
                      "rules": ("quy tắc trích xuất khác", "other extraction rules")}


def extraction_changed(old: dict, new: dict) -> list[str]:
    """How the archive's reading of ``new`` was made otherwise than that of ``old``: "release"
    (another extractor) and "rules" (the source's extract rules, added, changed or dropped), as
    their extractor_version says: what differs between them may be the archive's doing, not the
    site's. A version whose extractor_version was not recorded is not said to differ."""
    if not (old.get("extractor_version") and new.get("extractor_version")):
        return []
    (old_release, _, old_rules), (new_release, _, new_rules) = (
        v["extractor_version"].partition(RULES_MARK) for v in (old, new))
    return [part for part, differs in (("release", old_release != new_release), ("rules", old_rules != new_rules))
            if differs]


def unmatched_rule(key: str, selector: str, why: str, where: str) -> str:
    """A rule that gave nothing ``where`` ("this page", "7 of 7 article pages"), as the source's
    author is told it, naming the selector as the sources file writes it."""
    if key == "body" and why == "no text":
        # What the rule picks is the text read: empty, there is none, and no generic reading.
        return f"extract.body {_show(selector)} {_UNMATCHED[why]} on {where}: those have no text"
    return (f"extract.{key} {_show(selector)} {_UNMATCHED[why]} on {where}: the generic extractor read the "
            f"{_RULED[key]} there")


class SourcesError(ValueError):
    """A sources file that cannot be used; the message is one line naming source and field."""


@dataclass(frozen=True)
class Listing:
    url: str
    next: str | None = None
    page_url: str | None = None
    # CSS selector of the listing's own entries: only article links inside them decide whether
    # to go on paging, so a "latest news" box on every page cannot keep the paging going.
    links: str | None = None
    # The number page_url's {page} takes for the listing's second page, and how much it grows
    # from one page to the next: 1 and 1 for a pager counting from 0 (Drupal), 10 and 10 for one
    # by offset (Joomla's ?start=10).
    first_page: int = 2
    page_step: int = 1

    def page_link(self, page: int) -> str:
        """page_url for the listing's ``page``-th page, counting its first page (``url``) as 1."""
        return self.page_url.replace("{page}", str(self.first_page + (page - 2) * self.page_step))


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    kind: str
    home: str
    allowed_domains: tuple[str, ...]
    article_pattern: str
    schedule: str
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    delay: float | None = None
    concurrency: int | None = None
    # Archived articles each crawl asks for again, beyond those its discovery reaches; None:
    # the crawler's ARCHIVE_RECHECK_PER_CRAWL.
    recheck: int | None = None
    extract: dict = field(default_factory=dict)  # CSS selectors overriding the generic extractor
    # False: paused (a portal down for months), its table kept with its tuned rules. Crawled only
    # when named; its archived articles stay served as before.
    enabled: bool = True
    # Ids the source had before (renamed, or a portal merged into this one): their archived rows
    # are carried over to this id when it is next crawled (archive.carryover).
    formerly: tuple[str, ...] = ()
    _compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_compiled", re.compile(self.article_pattern))

    def is_article(self, url: str) -> bool:
        return self._compiled.search(url) is not None

    def allows(self, url: str) -> bool:
        return url_in_domains(url, self.allowed_domains)

    def start_urls(self) -> list[str]:
        return [*self.sitemaps, *self.feeds, *(listing.url for listing in self.listings)]


def url_in_domains(url: str, domains) -> bool:
    """Whether ``url``'s host, as the crawler asks for it, is one of ``domains`` (written as
    canonical_host writes them, as a Source holds them) or a subdomain of one."""
    try:
        host = canonical_host(urlsplit(url).hostname or "")
    except UnicodeError:
        return False
    return any(host == d or host.endswith("." + d) for d in domains)


def load_sources(path: str | Path) -> list[Source]:
    return read_sources(path)[1]


def read_sources(path: str | Path) -> tuple[str, list[Source]]:
    """The sources in ``path`` and the text they were parsed from, for a caller that must keep
    using exactly that version when the file changes."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourcesError(f"{path}: file not found") from None
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        # TOML is UTF-8; editors on Windows may start the file with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourcesError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8"
        ) from None
    return text, parse_sources(text, str(path))


def parse_sources(text: str, origin: str = "sources.toml") -> list[Source]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{origin}: not valid TOML: {exc}") from None
    unknown = set(data) - {"source"}
    if unknown:
        raise SourcesError(f"{origin}: unknown top-level key {sorted(unknown)[0]!r} (expected [[source]] tables)")
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{origin}: no [[source]] entries")
    blocks = _blocks(text, len(entries))
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, (entry, block) in enumerate(zip(entries, blocks), start=1):
        source = _parse_source(entry, f"{origin}: source #{index}", block)
        if source.id in seen:
            first = seen[source.id]
            raise SourcesError(f"{origin}: source {source.id!r}: field 'id': duplicate id: "
                               f"{blocks[first - 1].named(first)} and {block.named(index)} both have it")
        seen[source.id] = index
        sources.append(source)
    _check_formerly(sources, blocks, seen, origin)
    return sources


def _check_formerly(sources: list[Source], blocks: list[_Block], index_of: dict[str, int], origin: str) -> None:
    """Refuse a former id that is another source's id in the file (its crawls would go on
    filing articles under it, each crawl of this source taking them over), or that two sources
    claim (the old id's articles can be carried over to one of them only)."""
    claimed: dict[str, str] = {}
    for source in sources:
        block = blocks[index_of[source.id] - 1]
        for old in source.formerly:
            problem = None
            if old in index_of:
                other = index_of[old]
                problem = (f"{old!r} is the id of {blocks[other - 1].named(other)}, still in the file: remove that "
                           f"source once its site is this one's, or {old!r} from formerly")
            elif old in claimed:
                problem = (f"{old!r} is claimed by source {claimed[old]!r} too: an old id's articles are carried "
                           "over to one source")
            if problem:
                raise SourcesError(f"{origin}: source {source.id!r}: field 'formerly': {problem}"
                                   f"{block.lines('formerly')}")
            claimed[old] = source.id


@dataclass(frozen=True)
class _Block:
    """Where one [[source]] is written: the line of its header and, by the dotted name its
    errors give, the lines of its fields and tables (tomllib tells no positions)."""

    header: int | None = None
    fields: dict[str, list[int]] = field(default_factory=dict)

    def named(self, index: int) -> str:
        return f"source #{index}" + (f" (line {self.header})" if self.header else "")

    def lines(self, fieldname: str) -> str:
        """Where to look for ``fieldname``: its line (or that of the table holding it, when it is
        not written on one of its own), and the source's."""
        if not self.header:
            return ""
        name = fieldname
        while name and len(self.fields.get(name, ())) != 1:
            name = _PARENT_RE.sub("", name)
        if name:
            return f" (line {self.fields[name][0]}; the source starts at line {self.header})"
        return f" (the source starts at line {self.header})"


# What holds a field: discovery.listings[1].url -> discovery.listings[1] -> discovery.listings -> discovery -> "".
_PARENT_RE = re.compile(r"\[\d+\]$|(^|\.)[^.\[\]]*$")
_HEADER_RE = re.compile(r"\s*\[\[\s*source\s*\]\]\s*(#.*)?")
_TABLE_RE = re.compile(r"\s*(\[\[?)\s*source\s*\.\s*([\w.\s-]+?)\s*\]\]?\s*(#.*)?")
_KEY_RE = re.compile(r"\s*([\w-]+(?:\s*\.\s*[\w-]+)*)\s*=")


def _blocks(text: str, count: int) -> list[_Block]:
    """Each [[source]]'s _Block, found by a scan of the text. When the scan finds other than
    ``count`` headers (one inside a multi-line string, sources written as inline tables) no
    line is named: better none than a wrong one."""
    lines = text.split("\n")
    headers = [n for n, line in enumerate(lines, start=1) if _HEADER_RE.fullmatch(line)]
    if len(headers) != count:
        return [_Block()] * count
    ends = [*(h - 1 for h in headers[1:]), len(lines)]
    return [_Block(start, _field_lines(lines, start, end)) for start, end in zip(headers, ends)]


def _field_lines(lines: list[str], start: int, end: int) -> dict[str, list[int]]:
    """The lines of one source's block (``start`` to ``end``, counted from 1) that write each
    field or table, by the name errors give it: ``discovery.listings[2].url``."""
    found: dict[str, list[int]] = defaultdict(list)
    table, arrays, quote = "", Counter(), None
    for n in range(start + 1, end + 1):
        line = lines[n - 1]
        if quote:
            # A line of a multi-line string is not a key, whatever it looks like.
            quote = None if line.count(quote) % 2 else quote
            continue
        header, key = _TABLE_RE.fullmatch(line), _KEY_RE.match(line)
        if header:
            table = re.sub(r"\s+", "", header[2])
            if header[1] == "[[":
                arrays[table] += 1
                table += f"[{arrays[table]}]"
            found[table].append(n)
        elif key:
            found[".".join(filter(None, [table, re.sub(r"\s+", "", key[1])]))].append(n)
        quote = next((q for q in ('"""', "'''") if line.count(q) % 2), None)
    return found


def _controls(text: str, categories: tuple[str, ...]) -> bool:
    return any(unicodedata.category(c) in categories for c in text)


def _show(value) -> str:
    """``value`` as the sources file would hold it, to be found there or pasted back: a string as
    a TOML literal string ('…', backslashes as typed) when that can hold it, else as a basic string
    with its invisible and control characters escaped; anything else as Python writes it."""
    if not isinstance(value, str):
        text = repr(value)
    elif value.isprintable() and "'" not in value:
        text = f"'{value}'"
    else:
        text = '"' + "".join(_toml_escaped(c) for c in value) + '"'
    return text if len(text) <= 100 else text[:97] + "..."


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _toml_escaped(char: str) -> str:
    if char in _TOML_ESCAPES:
        return _TOML_ESCAPES[char]
    if char.isprintable():
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def _parse_source(entry: dict, where: str, block: _Block) -> Source:
    if not isinstance(entry, dict):
        raise SourcesError(f"{where}: must be a table, not {_show(entry)}{block.lines('')}")
    source_id = entry.get("id")
    if _good_id(source_id):
        where = where.split(": source #")[0] + f": source {source_id!r}"

    def fail(fieldname: str, problem: str):
        raise SourcesError(f"{where}: field {fieldname!r}: {problem}{block.lines(fieldname)}")

    for key in entry:
        if key not in SOURCE_KEYS:
            fail(key, "unknown key")
    for key in REQUIRED_KEYS:
        if key not in entry:
            fail(key, "missing")
    if not _good_id(source_id):
        fail("id", f"must be 1 to {ID_MAX} lowercase letters, digits and hyphens, e.g. 'baochinhphu', "
             f"not {_show(source_id)}")
    for key in ("name", "home", "article_pattern", "schedule"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            fail(key, f"must be a non-empty string, not {_show(entry[key])}")
    if _controls(entry["name"].strip(), ("Cc", "Zl", "Zp")):
        # A line break or tab in a name breaks every listing of the sources, one line each.
        fail("name", f"must be one line of text without control characters, not {_show(entry['name'])}")
    if entry["kind"] not in KINDS:
        fail("kind", f"must be one of {', '.join(KINDS)}, not {_show(entry['kind'])}")
    domains = entry["allowed_domains"]
    if (
        not isinstance(domains, list)
        or not domains
        or not all(isinstance(d, str) and d and "/" not in d for d in domains)
    ):
        fail("allowed_domains", f"must be a non-empty list of host names, not {_show(domains)}")
    for domain in domains:
        if re.fullmatch(r"[^:\[\]]+:\d*|\[[^\]]*\]:\d*", domain):
            fail("allowed_domains", f"{domain!r}: a host name has no port (write {domain.rsplit(':', 1)[0]!r})")
    domains = tuple(_domain(d, fail) for d in domains)
    home = _check_url(entry["home"], domains, fail, "home")
    try:
        compiled = re.compile(entry["article_pattern"])
    except (re.error, OverflowError) as exc:
        # OverflowError: a repeat count (a{99999999999}) or a code point (\U99999999) too large.
        fail("article_pattern", f"bad regular expression {_show(entry['article_pattern'])}: {exc}")
    except RecursionError:
        fail("article_pattern", f"bad regular expression {_show(entry['article_pattern'])}: its groups are "
                                "nested too deeply for Python's re to read it")
    _check_pattern_spacing(compiled, fail)
    _check_pattern_fits_urls(entry["article_pattern"], entry["home"], domains, fail)
    # croniter runs `file` on the interpreter as it is imported (its 32-bit check): not paid by
    # the commands that read no sources.
    from croniter import CroniterBadDateError, croniter

    if not croniter.is_valid(entry["schedule"]) or len(entry["schedule"].split()) != 5:
        fail("schedule", f"bad cron expression {entry['schedule']!r} ({_cron_fault(entry['schedule'])})")
    for field, (name, _allowed) in zip(entry["schedule"].split(), _CRON_FIELDS):
        backwards = next((r for r in re.findall(r"(\d+)-(\d+)", field) if int(r[0]) > int(r[1])), None)
        if backwards:
            # croniter wraps "5-1" round to 0-1 and 5-59: almost always a typo for "1-5".
            fail("schedule", f"cron expression {entry['schedule']!r}: {name} range {'-'.join(backwards)} runs backwards")
    try:
        croniter(entry["schedule"], datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        fail("schedule", f"cron expression {entry['schedule']!r} never fires (none of its months has that day)")

    discovery = entry.get("discovery", {})
    if not isinstance(discovery, dict):
        fail("discovery", f"must be a table, not {_show(discovery)}")
    for key in discovery:
        if key not in DISCOVERY_KEYS:
            fail(f"discovery.{key}", "unknown key")
    url_lists = {}
    for key in ("sitemaps", "feeds"):
        urls = discovery.get(key, [])
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            fail(f"discovery.{key}", f"must be a list of URLs, not {_show(urls)}")
        url_lists[key] = tuple(_check_url(url, domains, fail, f"discovery.{key}") for url in urls)
    raw_listings = discovery.get("listings", [])
    if not isinstance(raw_listings, list):
        fail("discovery.listings", f"must be an array of tables, not {_show(raw_listings)}")
    listings = []
    for n, listing in enumerate(raw_listings, start=1):
        name = f"discovery.listings[{n}]"
        if not isinstance(listing, dict):
            fail(name, f"must be a table with url and next or page_url, not {_show(listing)}")
        for key in listing:
            if key not in LISTING_KEYS:
                fail(f"{name}.{key}", "unknown key")
        if "url" not in listing:
            fail(f"{name}.url", "missing")
        url = _check_url(listing["url"], domains, fail, f"{name}.url")
        nxt, page_url = listing.get("next"), listing.get("page_url")
        if nxt is not None and page_url is not None:
            fail(name, "give either next or page_url, not both")
        if nxt is not None:
            _check_css(nxt, fail, f"{name}.next")
        numbering = _page_numbering(listing, name, fail)
        if page_url is not None:
            page_url = _check_page_url(page_url, numbering, domains, fail, f"{name}.page_url")
        links = listing.get("links")
        if links is not None:
            _check_css(links, fail, f"{name}.links")
        listings.append(Listing(url=url, next=nxt, page_url=page_url, links=links, **numbering))
    if not (url_lists["sitemaps"] or url_lists["feeds"] or listings):
        fail("discovery", "needs at least one of sitemaps, feeds or listings")
    _check_pattern_misses_discovery(entry["home"], url_lists, listings, entry["article_pattern"], fail)
    recheck = discovery.get("recheck")
    if recheck is not None and (isinstance(recheck, bool) or not isinstance(recheck, int) or recheck < 0):
        fail("discovery.recheck", f"must be a whole number of articles, 0 or more (0: none), not {_show(recheck)}")

    rules = entry.get("extract", {})
    if not isinstance(rules, dict):
        fail("extract", f"must be a table of CSS selectors (body, title, author, date), not {_show(rules)}")
    for key, selector in rules.items():
        if key not in EXTRACT_KEYS:
            fail(f"extract.{key}", "unknown key (body, title, author or date)")
        _check_css(selector, fail, f"extract.{key}")

    politeness = entry.get("politeness", {})
    if not isinstance(politeness, dict):
        fail("politeness", f"must be a table, not {_show(politeness)}")
    for key in politeness:
        if key not in POLITENESS_KEYS:
            fail(f"politeness.{key}", "unknown key")
    delay = politeness.get("delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600):
        fail("politeness.delay", f"must be a number of seconds between 0 and 600, not {_show(delay)}")
    concurrency = politeness.get("concurrency")
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 64
    ):
        fail("politeness.concurrency", f"must be a whole number from 1 to 64, not {_show(concurrency)}")
    formerly = entry.get("formerly", [])
    if not isinstance(formerly, list) or not all(_good_id(old) for old in formerly):
        fail("formerly", f"must be a list of the source's former ids (each 1 to {ID_MAX} lowercase letters, digits "
                         f"and hyphens), not {_show(formerly)}")
    if source_id in formerly:
        fail("formerly", f"{source_id!r} is this source's own id")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        fail("enabled", f"must be true or false (false: paused, crawled only when named), not {_show(enabled)}")

    return Source(
        id=source_id,
        name=nfc(entry["name"].strip()),
        kind=entry["kind"],
        home=home,
        allowed_domains=domains,
        article_pattern=entry["article_pattern"],
        schedule=entry["schedule"],
        sitemaps=url_lists["sitemaps"],
        feeds=url_lists["feeds"],
        listings=tuple(listings),
        delay=float(delay) if delay is not None else None,
        concurrency=concurrency,
        recheck=recheck,
        extract=dict(rules),
        enabled=enabled,
        formerly=tuple(dict.fromkeys(formerly)),
    )


def _good_id(source_id) -> bool:
    return isinstance(source_id, str) and len(source_id) <= ID_MAX and ID_RE.match(source_id) is not None


_CRON_FIELDS = (("minute", "0-59"), ("hour", "0-23"), ("day", "1-31"), ("month", "1-12 or jan-dec"),
                ("weekday", "0-7 or sun-sat"))


def _cron_fault(expression: str) -> str:
    """What is wrong with a cron expression croniter refuses: the field, or the shape."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) == 5:
        for i, (name, allowed) in enumerate(_CRON_FIELDS):
            alone = ["*"] * 5
            alone[i] = fields[i]
            if not croniter.is_valid(" ".join(alone)):
                return f"{name} {fields[i]!r} is not {allowed}"
    return "5 fields: minute hour day month weekday"


def _domain(domain: str, fail) -> str:
    """An allowed domain as the crawler compares hosts with it: IDNA-encoded, lower case, without
    the trailing dot of a fully qualified name. ``cổng.vn`` and ``xn--cng-qmz.vn`` are one host;
    an IP address (``::1``, ``[::1]``) is written as a URL's host is read back."""
    try:
        return ipaddress.ip_address(domain.strip("[]")).compressed
    except ValueError:
        pass
    try:
        normal = canonical_host(domain.rstrip("."))
    except UnicodeError:
        normal = ""
    if not _DOMAIN_RE.fullmatch(normal):
        hint = f" (write {domain.lstrip('*.')!r}: its subdomains are allowed too)" if domain.startswith("*.") else ""
        fail("allowed_domains", f"{domain!r} is not a host name{hint}")
    return normal


# Labels of letters, digits, hyphens (and the underscores some intranet hosts have), IDNA-encoded.
_DOMAIN_RE = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*")


def _check_url(url, domains, fail, fieldname) -> str:
    """``url``, checked, with its host written as the crawler asks for it (canonical_host,
    without a trailing dot), so that it is requested on a host allowed_domains allows."""
    if not isinstance(url, str):
        fail(fieldname, f"must be a URL string, not {_show(url)}")
    if url != url.strip() or _controls(url, ("Cc",)):
        # urlsplit drops them silently, but the URL is stored and requested as written.
        fail(fieldname, f"{_show(url)} has whitespace around it or a control character in it")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        fail(fieldname, f"{_show(url)} is not a URL: {_unsplit(url, exc)}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(fieldname, f"not an http(s) URL: {url!r}")
    if _port(parts) == 0:
        written = _NETLOC_RE.fullmatch(parts.netloc)["port"][1:]
        fail(fieldname, f"{_show(url)} has the port {_show(written)}, not a number from 1 to 65535")
    normal = _with_canonical_host(url)
    if normal is None or not url_in_domains(normal, domains):
        fail(fieldname, f"{url!r} is outside allowed_domains")
    return normal


def _unsplit(url: str, exc: ValueError) -> str:
    """Why urlsplit cannot read ``url``: its host has a bracket that does not enclose an IPv6
    address (``x[.vn``, which urlsplit calls an invalid IPv6 URL), or a character that NFKC turns
    into one that ends a host (``／``)."""
    if "[" in url or "]" in url:
        return "a [ or ] in its host must enclose an IPv6 address, as in 'http://[::1]/'"
    return str(exc)


def _port(parts) -> int | None:
    """The URL's port, None when it gives none, 0 when it gives one no request can be sent to.
    urlsplit reads a port only when asked: a URL with a bad one passes for a URL until the crawl
    requests it."""
    try:
        return parts.port
    except ValueError:  # not digits, or past 65535
        return 0


_NETLOC_RE = re.compile(r"(?P<user>.*@)?(?P<host>\[[^\]]*\]|[^:]*)(?P<port>:.*)?")


def _with_canonical_host(url: str) -> str | None:
    """``url`` with its host IDNA-encoded, lower-cased and without a trailing dot; unchanged when
    it is so already; None when the host is no name IDNA can encode."""
    parts = urlsplit(url)
    netloc = _NETLOC_RE.fullmatch(parts.netloc)
    try:
        host = canonical_host(netloc["host"].rstrip("."))
    except UnicodeError:
        return None
    if host == netloc["host"]:
        return url
    return urlunsplit(parts._replace(netloc=f"{netloc['user'] or ''}{host}{netloc['port'] or ''}"))


def _page_numbering(listing: dict, name: str, fail) -> dict:
    """The listing's first_page and page_step, those it gives, checked."""
    limits = {
        "first_page": (0, "the number page_url's {page} takes for the listing's second page: 2 (the "
                          "default) for ?page=2, 1 where the second page is ?page=1, 10 for ?start=10"),
        "page_step": (1, "how much {page} grows from one page to the next: 1 (the default), 10 for "
                         "?start=10, 20, 30"),
    }
    numbering = {}
    for key, (least, meaning) in limits.items():
        if key not in listing:
            continue
        value = listing[key]
        if listing.get("page_url") is None:
            fail(f"{name}.{key}", f"is for page_url ({meaning}); this listing has none")
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            fail(f"{name}.{key}", f"must be a whole number, {least} or more ({meaning}), not {_show(value)}")
        numbering[key] = value
    return numbering


_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")


def _check_page_url(page_url, numbering: dict, domains, fail, fieldname) -> str:
    """The page_url template, checked as the URL of the listing's second page, with its host
    written as _check_url writes it."""
    if not isinstance(page_url, str) or "{page}" not in page_url:
        fail(fieldname, f"must be a URL template containing {{page}}, not {_show(page_url)}")
    unknown = next((p for p in _PLACEHOLDER_RE.findall(page_url) if p != "{page}"), None)
    if unknown:
        fail(fieldname, f"{_show(page_url)} has the placeholder {unknown}, which would be sent as written: "
                        "page_url takes only {page}")
    second = Listing(url="", page_url=page_url, **numbering).page_link(2)
    _check_url(second, domains, fail, fieldname)
    return _with_canonical_host(page_url) or page_url


def _check_pattern_spacing(compiled: re.Pattern, fail):
    """Refuse whitespace around a pattern, as around a URL: the URLs it is matched against have
    none (canonical URLs percent-encode it), so a space or tab after its ``$`` or before its
    ``^`` makes a pattern that matches nothing, found only when a crawl of the source ends empty.
    A verbose pattern (``(?x)``, written over lines) ignores its whitespace, and may have it."""
    pattern = compiled.pattern
    if compiled.flags & re.VERBOSE:
        return
    if pattern != pattern.strip():
        fail("article_pattern", f"{_show(pattern)} has whitespace around it, which no URL it is matched against has")


def _check_pattern_fits_urls(pattern: str, home: str, domains, fail):
    """Refuse a pattern no URL the crawler matches can fit: canonical URLs are ASCII (paths
    percent-encoded, hosts IDNA-encoded and lower case), in home's scheme, on a host
    ``domains`` allows (a pattern left behind when home and allowed_domains moved). The pattern is read
    with the parser ``re`` itself uses: it knows an alternative (``^a|b``), a quantified letter
    (the ``s`` of ``https?``), a class, an inline flag and a verbose pattern's comment, which a
    scan of the text would each misread."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # a private module: better no check than a refused pattern
        return
    letters = _required_letters_outside_ascii(parsed)
    if letters:
        text = unicodedata.normalize("NFC", letters)
        host = urlsplit(home).hostname or ""
        idn = (host, canonical_host(host)) if not host.isascii() else ("cổng.vn", "xn--cng-qmz.vn")
        fail("article_pattern", f"{_show(pattern)} has {text!r}, which no URL it is matched against has: those "
                                f"are canonical URLs, ASCII, with a path's letters percent-encoded ({text!r} in a "
                                f"path is {quote(text)!r}) and the host IDNA-encoded ({idn[0]!r} is {idn[1]!r})")
    start, ignore_case = _literal_start(parsed)
    if start is None:
        return
    scheme = urlsplit(home).scheme + "://"
    written = start.lower() if ignore_case else start
    if not (written.startswith(scheme) or scheme.startswith(written)):
        fail("article_pattern", f"{_show(pattern)} begins ^{start}, but every URL it is matched against begins "
                                f"{scheme!r}: the crawler asks for each link of the source by home's scheme")
    rest = start[len(scheme):]
    host = rest.split("/")[0] if "/" in rest else ""  # a host written out to its end
    if host != host.lower() and not ignore_case:
        fail("article_pattern", f"{_show(pattern)} has the host {host!r}, but the URLs it is matched against "
                                f"have theirs in lower case ({host.lower()!r})")
    if host and not url_in_domains(f"{scheme}{host.lower()}/", domains):
        fail("article_pattern", f"{_show(pattern)} has the host {host!r}, which allowed_domains does not allow "
                                f"({', '.join(domains)}): the crawler follows no link to it, so the pattern matches "
                                "nothing")


def _required_letters_outside_ascii(parsed) -> str:
    """The first run of letters outside ASCII that every match of the ``parsed`` pattern must
    hold (``ứ`` of ``/tin-tức/``); none for one in a class (``[^đ]``), an alternative, an
    optional part or a verbose pattern's comment, which a match can do without."""
    runs = "".join(_required_literals(parsed)).split()
    return runs[0] if runs else ""


def _required_literals(tokens):
    for op, value in tokens:
        if op is sre_constants.LITERAL:
            yield chr(value) if value > 0x7F else " "
        elif op is sre_constants.SUBPATTERN:
            yield from _required_literals(value[3])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and value[0] >= 1:
            yield from _required_literals(value[2])
        else:
            yield " "


def _literal_start(parsed) -> tuple[str | None, bool]:
    """What every match of the ``parsed`` pattern begins with, as far as it is written as plain
    text after a leading ``^`` (None when it does not begin so), and whether it ignores case."""
    tokens = list(parsed)
    if not tokens or tokens[0] != (sre_constants.AT, sre_constants.AT_BEGINNING):
        return None, False
    letters = []
    for op, value in tokens[1:]:
        if op is not sre_constants.LITERAL:
            break
        letters.append(chr(value))
    return "".join(letters), bool(parsed.state.flags & re.IGNORECASE)


def _check_pattern_misses_discovery(home, url_lists, listings, pattern, fail):
    """A discovery page the pattern matches would be stored as an article: the crawler tests
    every link, the home page and the listings' own pagers included, against the pattern."""
    pages = [("home", home)]
    pages += [(f"discovery.{key}", url) for key in ("sitemaps", "feeds") for url in url_lists[key]]
    for n, listing in enumerate(listings, start=1):
        pages.append((f"discovery.listings[{n}].url", listing.url))
        if listing.page_url:
            pages += [(f"discovery.listings[{n}].page_url", listing.page_link(page)) for page in _pages_checked(listing)]
    compiled = re.compile(pattern)
    # The crawler matches canonical URLs, with the home page's scheme.
    scheme = urlsplit(home).scheme
    for fieldname, url in pages:
        if compiled.search(canonical_url(url, prefer_scheme=scheme)):
            fail("article_pattern", f"matches {fieldname} {url!r}, which would be stored as an article")


def _pages_checked(listing: Listing) -> list[int]:
    """The pages of a paged listing whose URLs are tried against article_pattern, counting its
    first page as 1: the next ten, and the first whose {page} has each more digit, up to seven.
    The crawler pages on until a page lists no article, and a pattern can tell numbers apart by
    their digits (``-\\d{2,}`` matches trang-10, not trang-2) or by their last one."""
    pages = list(range(2, 12))
    for digits in range(2, 8):
        least = 10 ** (digits - 1)
        if least > listing.first_page:
            pages.append(2 - (listing.first_page - least) // listing.page_step)
    return sorted(set(pages))


def _check_css(selector, fail, fieldname):
    from cssselect import SelectorError

    if not isinstance(selector, str) or not selector.strip():
        fail(fieldname, f"must be a CSS selector string, not {_show(selector)}")
    try:
        _run_css(selector)
    except SelectorError as exc:
        fail(fieldname, f"bad CSS selector {_show(selector)}: {exc}")
    except Exception as exc:  # lxml's own, which every page the selector is run on would raise
        fail(fieldname, f"bad CSS selector {_show(selector)}: lxml cannot run it ({exc})")


def _run_css(selector: str):
    """Run ``selector`` as the extractor does, with lxml, on a small HTML page: lxml refuses some
    selectors cssselect translates, as it compiles their XPath (a control character escaped into
    a name: ``#\\1``) or as it runs it."""
    import lxml.html
    from lxml.cssselect import CSSSelector

    CSSSelector(selector, translator=_html_translator())(lxml.html.fromstring("<p>text</p>"))


@functools.cache
def _html_translator():
    """lxml's CSS translator, refusing a namespace prefix (``html|div``, ``[ns|href]``): an HTML
    page has no namespaces, and lxml fails on a prefix only where a page gets it to that step of
    the selector, so no small page shows every one."""
    from cssselect import ExpressionError
    from lxml.cssselect import LxmlTranslator

    def refuse(namespace):
        if namespace and namespace != "*":  # *| is any namespace, or none
            raise ExpressionError(f"the namespace prefix {namespace}| names nothing on an HTML page, which has "
                                  "no namespaces: leave it out")

    class HtmlTranslator(LxmlTranslator):
        def xpath_element(self, selector):
            refuse(selector.namespace)
            return super().xpath_element(selector)

        def xpath_attrib(self, selector):
            refuse(selector.namespace)
            return super().xpath_attrib(selector)

    return HtmlTranslator()


def overlaps(sources: list[Source], among=None) -> list[str]:
    """Warnings, one line each, about pairs of sources that reach the same articles: the same
    home, the same article_pattern or the same discovery URL (a sitemap, a feed, a listing),
    with allowed_domains that overlap. A source copied under a new id, or one left in the file
    after its site merged into another's, is valid, but its crawls and the other's split one
    site's articles between them. ``among``: only the pairs with one of these ids.

    A paused source crawls nothing unless it is named, so a pair with one is warned of only when
    ``among`` names it: a portal paused after it merged into another's keeps its sitemap, and
    every crawl and listing would otherwise nag about a split that is not happening."""
    warnings = []
    homes = {s.id: _url_key(s.home) for s in sources}
    discovery = {s.id: _discovery(s) for s in sources}
    for n, a in enumerate(sources):
        for b in sources[n + 1:]:
            if among is not None and a.id not in among and b.id not in among:
                continue
            if any(not s.enabled and (among is None or s.id not in among) for s in (a, b)):
                continue
            shared = []
            if homes[a.id] == homes[b.id]:
                shared.append(f"the same home {_show(a.home)}")
            if a.article_pattern == b.article_pattern:
                shared.append(f"the same article_pattern {_show(a.article_pattern)}")
            shared += _shared_discovery(a, discovery[a.id], b, discovery[b.id])
            if shared and _domains_overlap(a.allowed_domains, b.allowed_domains):
                warnings.append(f"sources {a.id!r} and {b.id!r} have {' and '.join(shared)}, and their "
                                "allowed_domains overlap: each article both reach is stored under whichever "
                                "crawls it first")
    return warnings


def _discovery(source: Source) -> dict[str, tuple[str, str]]:
    """The source's discovery URLs by _url_key, each with its kind and URL."""
    kinds = [("sitemap", u) for u in source.sitemaps] + [("feed", u) for u in source.feeds]
    kinds += [("listing", listing.url) for listing in source.listings]
    return {_url_key(url): (kind, url) for kind, url in kinds}


def _shared_discovery(a: Source, ours: dict, b: Source, theirs: dict) -> list[str]:
    """What of ``a``'s discovery (``ours``) ``b``'s has too: the first such URL, and how many more."""
    shared = [(kind, url, theirs[key][0]) for key, (kind, url) in ours.items() if key in theirs]
    if not shared:
        return []
    kind, url, other = shared[0]
    first = f"the same {kind} {_show(url)}"
    if kind != other:
        first = f"the same URL {_show(url)} (a {kind} of {a.id!r}, a {other} of {b.id!r})"
    more = len(shared) - 1
    return [first + (f" (and {more} more discovery URL{'s' if more > 1 else ''})" if more else "")]


def _url_key(url: str) -> str:
    """``url`` as two sources' URLs are compared: canonical, whatever the scheme (portals serve
    the same pages under http and https)."""
    return canonical_url(url).split("://", 1)[-1]


def _domains_overlap(a, b) -> bool:
    return any(url_in_domains(f"https://{d}/", b) for d in a) or any(url_in_domains(f"https://{d}/", a) for d in b)


def paused_note(sources: list[Source], origin, named: bool) -> str | None:
    """The one line saying which of ``sources`` are paused in ``origin`` (the sources file): as
    they are crawled all the same when ``named``, else as they are left out. None when none is."""
    ids = [s.id for s in sources if not s.enabled]
    if not ids:
        return None
    if named:
        are = "is" if len(ids) == 1 else "are"
        return f"{', '.join(ids)} {are} paused in {origin} (enabled = false); crawling as named"
    return f"paused in {origin} (enabled = false), so skipped: {', '.join(ids)}"


def select(sources: list[Source], ids) -> list[Source]:
    """The sources named by ``ids``, in that order and each once; an unknown id is an error naming it."""
    by_id = {s.id: s for s in sources}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise SourcesError(f"unknown source id {missing[0]!r} (known: {', '.join(by_id)})")
    return [by_id[i] for i in dict.fromkeys(ids)]
