"""Phone page weight: what a phone downloads the first time it opens the question page.

A phone joins through the QR link, then loads ``/w/<id>/p`` with ``Accept-Encoding: gzip``
and an empty cache: the HTML, every same-origin file the page links (stylesheets, scripts,
images, and what the stylesheets pull in with ``url()``), and its live stream. Bytes are the
response bodies as sent (compressed where the server compresses); headers are not counted.
"""

from __future__ import annotations

import gzip
import html
import re
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from tests.live_room import Browser, Server, join

from .live import HEARTBEAT
from .table import Line

TAG = re.compile(r"<(script|link|img)\b([^>]*)>", re.I)
ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
SSE = re.compile(r'sse-connect="([^"]+)"')
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
LINKED_RELS = {"stylesheet", "preload", "modulepreload", "icon", "manifest"}


def linked(page: str, base: str) -> tuple[list[str], list[str]]:
    """Return the same-origin files a page links, and its live-stream URLs."""
    files = []
    for tag, attributes in TAG.findall(page):
        found = dict(ATTRIBUTE.findall(attributes))
        tag = tag.lower()
        if tag == "link" and not LINKED_RELS & set(found.get("rel", "").lower().split()):
            continue
        url = found.get("href" if tag == "link" else "src")
        if url:
            files.append(html.unescape(url))
    streams = [html.unescape(url) for url in SSE.findall(page)]
    return [local for url in files if (local := _local(url, base))], streams


def _local(url: str, base: str) -> str:
    """Return a same-origin URL as a path, or "" (data: URLs, other sites)."""
    if url.startswith("data:"):
        return ""
    parts = urlsplit(urljoin(base, url))
    if parts.netloc and parts.netloc != urlsplit(base).netloc:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


Weight = tuple[str, int, int, str]  # path, bytes sent, unpacked, encoding


def first_load(browser: Browser, page_path: str) -> tuple[list[Weight], list[str]]:
    """Load a page with an empty cache as a browser does: the HTML, the files it links and
    what its stylesheets pull in; return each response's weight and the page's streams."""
    base = f"http://127.0.0.1:{browser.port}"
    weights: list[Weight] = []
    todo, seen, streams = [page_path], set(), []
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, response, body = browser.request("GET", path, headers={"Accept-Encoding": "gzip"})
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        encoding = response.headers.get("Content-Encoding", "")
        text = gzip.decompress(body) if encoding == "gzip" else body
        weights.append((path, len(body), len(text), encoding))
        kind = response.headers.get("Content-Type", "")
        if path == page_path:
            files, streams = linked(text.decode(), base + path)
            todo += files
        elif kind.startswith("text/css"):
            urls = CSS_URL.findall(text.decode(errors="replace"))
            todo += [local for url in urls if (local := _local(url, base + path))]
    return weights, streams


def phone_page_weight() -> list[Line]:
    """Measure the phone page's first load against a fresh server."""
    with tempfile.TemporaryDirectory(prefix="credo-bench-") as folder:
        server = Server(Path(folder))
        server.env["WORKSHOP_LIVE_HEARTBEAT_SECONDS"] = HEARTBEAT
        server.start()
        try:
            info = server.create_workshop("Page weight")
            phone = Browser(server.port)
            join(phone, urlsplit(info["join_url"]).path)
            weights, streams = first_load(phone, f"/w/{info['id']}/p")
            phone.close()
        finally:
            server.stop()
    sent = sum(weight[1] for weight in weights)
    unpacked = sum(weight[2] for weight in weights)
    requests = len(weights) + len(streams)
    parts = ", ".join(
        f"{_short(path)} {size / 1024:.1f} KB{'' if encoding else ' uncompressed'}"
        for path, size, _, encoding in weights
    )
    return [
        Line(
            "phone page, first load (empty cache)",
            "requests; bytes sent (gzip)",
            f"{requests} requests; {sent / 1024:.1f} KB",
            note=f"{parts}, + {len(streams)} live stream; {unpacked / 1024:.1f} KB unpacked",
        )
    ]


def _short(path: str) -> str:
    path = path.split("?", 1)[0]
    return "page HTML" if path.endswith("/p") else path.rsplit("/", 1)[-1]
