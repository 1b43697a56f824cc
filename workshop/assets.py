"""Cheap for phones: content-hashed static URLs, one script bundle, compressed text responses.

Every static file is read once and hashed in memory (again only when it changes on disk).
Templates link ``asset_url(name)``, which carries the hash (``?v=…``): such a URL never
changes its bytes, so browsers keep it for a year without asking again.

Flask-Compress packs text responses with brotli or gzip, whichever the browser prefers
(brotli when it offers both); never the live stream, PDFs or images. A static file is packed
once per version and kept (``StaticCache``); pages and fragments are packed as they go.
"""

import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, Response, abort, current_app, request, url_for
from flask_compress import Compress
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
COMPRESSION = {  # Flask-Compress's settings (README, "Development": why these)
    "COMPRESS_MIMETYPES": sorted(COMPRESSIBLE),  # not text/event-stream, PDFs or images
    "COMPRESS_ALGORITHM": ["br", "gzip"],  # brotli first when a browser offers both
    "COMPRESS_STREAMS": False,  # a live stream is never packed: each frame must go out at once
    "COMPRESS_MIN_SIZE": 500,  # bytes: below this packing saves less than it costs
    "COMPRESS_LEVEL": 6,  # gzip
    "COMPRESS_BR_LEVEL": 5,  # brotli: smaller than gzip -9 on the script, and as quick as -6
}
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file (or bundle) as sent: its bytes and content hash."""

    data: bytes
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
    """Send a static file or bundle, cached for good when versioned (packed on the way out)."""
    asset = load_asset(filename)
    response = Response(asset.data, mimetype=asset.mimetype)
    response.set_etag(asset.version)  # Flask-Compress adds ":br" or ":gzip" when it packs
    fixed = request.args.get("v") == asset.version
    response.headers["Cache-Control"] = FOREVER if fixed else REVALIDATE
    return response.make_conditional(request)


class StaticCache:
    """Flask-Compress's cache: each static file packed once per version and encoding.

    Its keys are ``"<encoding>;<cache_key(request)>"``. Pages and fragments have an empty
    key and are never kept; a static file keeps only its newest version's bytes.
    """

    def __init__(self) -> None:
        self._packed: dict[str, tuple[str, bytes]] = {}

    @staticmethod
    def _split(key: str) -> tuple[str, str]:
        slot, _, version = key.rpartition("@")
        return slot, version

    def get(self, key: str) -> bytes | None:
        """Return the packed bytes kept under ``key``, if it names a static file's version."""
        slot, version = self._split(key)
        kept = self._packed.get(slot)
        return kept[1] if kept is not None and kept[0] == version else None

    def set(self, key: str, value: bytes) -> None:
        """Keep the packed bytes of a static file's version; ignore everything else."""
        slot, version = self._split(key)
        if slot:
            self._packed[slot] = (version, value)


def static_cache_key(req: Request) -> str:
    """Name a static file's version for ``StaticCache``; "" (never kept) for anything else."""
    if req.endpoint != "static" or not req.view_args:
        return ""
    filename = str(req.view_args.get("filename", ""))
    try:
        return f"{filename}@{load_asset(filename).version}"
    except NotFound:
        return ""


def init_app(app: Flask) -> None:
    """Serve static files through the cache above, pack responses, give templates ``asset_url``.

    Call it before registering other ``after_request`` hooks: Flask runs them last-first,
    so packing comes after every header is set.
    """
    for name, value in COMPRESSION.items():
        app.config.setdefault(name, value)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", static_cache_key)
    app.extensions["compress"] = Compress(app)  # one per app: it keeps its cache on itself
    app.view_functions["static"] = serve_asset
    app.add_template_global(asset_url)
