"""Credo: a live mission & values workshop, from phones to a framed poster."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import db, hub, i18n, web
from .extensions import babel, csrf
from .rules import (
    DEFAULT_LIVE_STREAMS_PER_ADDRESS,
    DEFAULT_RETENTION_DAYS,
    FEEDBACK_LIMIT_ADDRESS,
    FEEDBACK_LIMIT_DEVICE,
    FEEDBACK_MIN_FILL_SECONDS,
)
from .views import (
    agreement,
    cases,
    facilitator,
    feedback,
    live,
    participant,
    poster_page,
    principles,
    pulse_page,
    room,
    screen,
    stages,
)

__all__ = ["babel", "create_app", "csrf"]

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = (
    facilitator,
    stages,
    room,
    agreement,
    principles,
    participant,
    screen,
    live,
    poster_page,
    feedback,
    cases,
    pulse_page,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Credo application."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(
        DATABASE=str(ROOT / "instance" / "credo.db"),
        EXPORTS_DIR=str(ROOT / "exports"),
        BASE_URL=None,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        MAX_CONTENT_LENGTH=64 * 1024,
        MAX_FORM_PARTS=200,
        BABEL_DEFAULT_LOCALE="pl",
        # The IANA zone new workshops show their dates in (zones.py); unset: Europe/Warsaw
        # for a Polish workshop, the server's own zone for any other.
        TIMEZONE=None,
        RETENTION_DAYS=DEFAULT_RETENTION_DAYS,
        LIVE_POLL_SECONDS=0.05,
        LIVE_BUSY_POLL_SECONDS=0.002,  # the poll while events keep coming (hub.Hub)
        LIVE_HEARTBEAT_SECONDS=15.0,
        # redis://host:port/db: live events fan out through Redis pub/sub, and the rate
        # limits are counted there, for several workers or app servers (README,
        # "Production"). Unset: each process polls the database and counts on its own.
        REDIS_URL=None,
        LIVE_REDIS_POLL_SECONDS=1.0,  # with Redis, still read the database this often
        # Open live streams one address may hold in each worker process (the other stream
        # limits are in rules.py); THREADS is each worker's, which `workshop serve` sets:
        # streams take at most all but a fifth of them (rules.live_streams_max).
        LIVE_STREAMS_PER_ADDRESS=DEFAULT_LIVE_STREAMS_PER_ADDRESS,
        THREADS=1500,
        # Security (SECURITY.md). The session cookie is Secure on every HTTPS request;
        # SESSION_COOKIE_SECURE=true forces it even when the app cannot tell (a TLS proxy
        # without PROXY_FIX). PROXY_FIX=N trusts N proxies' X-Forwarded-For/-Proto/-Host.
        SESSION_COOKIE_SECURE=False,
        PROXY_FIX=0,
        # Rate limits (limits.py, Flask-Limiter): failed joins a minute per device + IP and
        # per IP, failed joins an hour before slow mode (of which one IP's count at most
        # JOIN_SLOW_MODE_IP_SHARE, unset: a tenth), join attempts a minute in slow mode,
        # answers a minute per person; other phone writes (dots, round answers, suggested
        # changes, drafts) a minute per person, of which suggested changes and drafts,
        # and every phone write a minute per workshop; workshops created an hour per IP and
        # in all. CREATE_PASSWORD set: creating a workshop asks for it.
        RATE_LIMITS=True,
        JOIN_LIMIT_DEVICE=10,
        JOIN_LIMIT_IP=60,
        JOIN_SLOW_MODE_AFTER=1000,
        JOIN_SLOW_MODE_IP_SHARE=None,
        JOIN_SLOW_MODE_ALLOWANCE=20,
        ANSWER_LIMIT=30,
        PHONE_WRITE_LIMIT=60,
        STATEMENT_LIMIT=6,
        ROOM_WRITE_LIMIT=6000,  # 100 a second: a 300-phone room's burst (tests/test_burst.py)
        CREATE_LIMIT_IP=10,
        CREATE_LIMIT_TOTAL=100,
        CREATE_PASSWORD=None,
        # Clients' feedback (/c/<token>): an hour per device + IP and per IP (a kiosk counts
        # by IP only), and the seconds a form must be open before it may be sent.
        FEEDBACK_LIMIT_DEVICE=FEEDBACK_LIMIT_DEVICE,
        FEEDBACK_LIMIT_ADDRESS=FEEDBACK_LIMIT_ADDRESS,
        FEEDBACK_MIN_FILL_SECONDS=FEEDBACK_MIN_FILL_SECONDS,
        WORKERS=1,  # processes sharing the limits (without Redis); `workshop serve` sets it
        # Where the server listens (`workshop serve` sets both): tells whether phones can
        # reach a page opened through 127.0.0.1 (reach.py). None: unknown.
        LISTEN_HOST=None,
        LISTEN_PORT=None,
    )
    if test_config is None:
        app.config.from_prefixed_env("WORKSHOP")
    else:
        app.config.update(test_config)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app, babel)
    web.init_app(app)
    hub.init_app(app)

    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    return app


def _instance_secret(instance: Path) -> str:
    """Read the secret key from instance/, creating it on first run."""
    path = instance / "secret_key"
    db.private_folder(instance)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, db.PRIVATE_FILE)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as stream:
            stream.write(secrets.token_hex(32))
    return path.read_text().strip()
