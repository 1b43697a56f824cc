"""Cheap for phones: content-hashed static URLs, one script bundle, gzip on text responses.

Every static file is read once, hashed and gzipped in memory (again only when it changes
on disk). Templates link ``asset_url(name)``, which carries the hash (``?v=…``): such a URL
never changes its bytes, so browsers keep it for a year without asking again.
"""

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

# One script instead of three: htmx first, then its SSE extension, then ours.
BUNDLES = {"credo.js": ("vendor/htmx.min.js", "vendor/sse.min.js", "js/app.js")}

COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "text/plain",
}
COMPRESS_FROM = 500  # bytes: below this gzip saves less than it costs
COMPRESS_LEVEL = 6  # per response; files in the cache are gzipped once, at level 9
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file (or bundle) as sent: its bytes, gzipped bytes and content hash."""

    data: bytes
    gzipped: bytes
    version: str
    mimetype: str
    stamp: tuple[tuple[int, int], ...]  # (mtime, size) of each source file


_assets: dict[tuple[str, str], Asset] = {}
_lock = threading.Lock()


def _sources(static: Path, name: str) -> list[Path]:
    """Return the files that make up ``name``; 404 for anything outside the static folder."""
    parts = BUNDLES.get(name, (name,))
    paths = []
    for part in parts:
        joined = safe_join(str(static), part)
        if joined is None or not Path(joined).is_file():
            abort(404)
        paths.append(Path(joined))
    return paths


def load_asset(name: str) -> Asset:
    """Return the static file or bundle ``name``, read again only when a source changed."""
    static = Path(current_app.static_folder or "static")
    paths = _sources(static, name)
    stamp = tuple((stat.st_mtime_ns, stat.st_size) for stat in (p.stat() for p in paths))
    key = (str(static), name)
    cached = _assets.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached
    data = b"\n;\n".join(p.read_bytes().rstrip() for p in paths) + b"\n"
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if mimetype == "application/javascript":
        mimetype = "text/javascript"
    asset = Asset(
        data=data,
        gzipped=gzip.compress(data, compresslevel=9, mtime=0),
        version=hashlib.sha256(data).hexdigest()[:16],
        mimetype=mimetype,
        stamp=stamp,
    )
    with _lock:
        _assets[key] = asset
    return asset


def asset_url(name: str) -> str:
    """Return the URL of a static file or bundle, versioned by its content."""
    try:
        version = load_asset(name).version
    except NotFound:  # not there (yet: `make assets`): the page still renders, the file 404s
        return url_for("static", filename=name)
    return url_for("static", filename=name, v=version)


def serve_asset(filename: str) -> Response:
    """Send a static file or bundle: gzipped when welcome, cached for good when versioned."""
    asset = load_asset(filename)
    zipped = accepts_gzip() and asset.mimetype in COMPRESSIBLE and len(asset.data) >= COMPRESS_FROM
    response = Response(asset.gzipped if zipped else asset.data, mimetype=asset.mimetype)
    if zipped:
        response.headers["Content-Encoding"] = "gzip"
    if asset.mimetype in COMPRESSIBLE:
        response.vary.add("Accept-Encoding")
    response.set_etag(asset.version + ("-gz" if zipped else ""))
    fixed = request.args.get("v") == asset.version
    response.headers["Cache-Control"] = FOREVER if fixed else REVALIDATE
    return response.make_conditional(request)


def accepts_gzip() -> bool:
    """Tell whether this client takes gzip-encoded responses."""
    return request.accept_encodings["gzip"] > 0


def compress(response: Response) -> Response:
    """Gzip a text response worth it for a client that takes gzip; never a stream or a file."""
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.is_streamed
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or not accepts_gzip()
    ):
        return response
    data = response.get_data()
    if len(data) < COMPRESS_FROM:
        return response
    response.set_data(gzip.compress(data, compresslevel=COMPRESS_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Serve static files through the cache above and give templates ``asset_url``."""
    app.view_functions["static"] = serve_asset
    app.add_template_global(asset_url)
