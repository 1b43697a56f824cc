"""The ``workshop`` command: serve the app, create workshops, export posters and records."""

import json
import os
import sys
from pathlib import Path

import click
from flask import Flask

from . import create_app, models
from .db import connect
from .i18n import LANGUAGES


def _app() -> Flask:
    return create_app()


def _base_url(app: Flask) -> str:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    return app.config.get("BASE_URL") or f"http://{host}:{port}"


@click.group()
def main() -> None:
    """Credo: run a team's mission & values workshop and print the agreed poster."""


@main.command()
@click.option(
    "--host",
    default=lambda: os.environ.get("HOST", "127.0.0.1"),
    show_default="$HOST or 127.0.0.1",
    help="Address to listen on (0.0.0.0 lets phones on the Wi-Fi in).",
)
@click.option(
    "--port",
    default=lambda: int(os.environ.get("PORT", "5000")),
    type=int,
    show_default="$PORT or 5000",
    help="Port to listen on.",
)
@click.option(
    "--threads",
    default=128,
    show_default=True,
    help="Threads per worker; each open screen or phone holds one.",
)
def serve(host: str, port: int, threads: int) -> None:
    """Serve Credo with gunicorn (a production server, not Flask's development one)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("accesslog", None)

        def load(self) -> Flask:
            return _app()

    click.echo(f"Credo is serving at http://{host}:{port}  (Ctrl+C stops it)")
    Server().run()


@main.command()
@click.option("--title", required=True, help='The team\'s name, e.g. "Przychodnia Pod Lipami".')
@click.option(
    "--lang",
    "language",
    type=click.Choice(list(LANGUAGES)),
    required=True,
    help="The workshop's language.",
)
@click.option(
    "--template",
    type=click.Choice(["mission", "trust"]),
    default="mission",
    show_default=True,
    help="mission: the three questions, principles, mission; trust: plus the five trust questions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def create(title: str, language: str, template: str, as_json: bool) -> None:
    """Create a workshop and print its join code and links."""
    from .forms import clean_line
    from .method import template_stages

    app = _app()
    title = clean_line(title)
    if not 1 <= len(title) <= 120:
        raise click.BadParameter("the title must have 1 to 120 characters", param_hint="--title")
    with app.app_context(), app.test_request_context(base_url=_base_url(app)):
        db = connect(app.config["DATABASE"])
        workshop, admin_token = models.create_workshop(
            db, title, language, template_stages(template, language)
        )
        from flask import url_for

        info = {
            "id": workshop.public_id,
            "join_code": workshop.join_code,
            "join_url": url_for(
                "participant.join_by_token", token=workshop.join_token, _external=True
            ),
            "screen_url": url_for("screen.show", token=workshop.screen_token, _external=True),
            "facilitator_url": url_for("facilitator.claim", token=admin_token, _external=True),
        }
        db.close()
    if as_json:
        click.echo(json.dumps(info))
        return
    for key, value in info.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")
    click.echo("Keep the facilitator URL private: it controls the workshop.")


@main.command()
@click.argument("workshop_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "json"]),
    default="pdf",
    show_default=True,
    help="pdf: the framed A3 poster; json: the whole workshop record.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write (- for standard output, JSON only).",
)
def export(workshop_id: str, fmt: str, output: Path) -> None:
    """Export a workshop's poster (PDF) or its full record (JSON)."""
    from flask_babel import force_locale

    from .exports import workshop_json, write_poster
    from .poster import PosterError

    app = _app()
    with app.app_context():
        db = connect(app.config["DATABASE"])
        workshop = models.get_workshop(db, workshop_id)
        if workshop is None:
            raise click.ClickException(f"no workshop has the id {workshop_id!r}")
        if fmt == "json":
            text = workshop_json(db, workshop)
            if str(output) == "-":
                click.echo(text)
            else:
                output.write_text(text + "\n", encoding="utf-8")
            return
        try:
            with force_locale(workshop.language):
                pdf, kept = write_poster(db, workshop, app.config["EXPORTS_DIR"])
        except PosterError as error:
            raise click.ClickException(str(error)) from error
        output.write_bytes(pdf)
        click.echo(f"Wrote {output} (a copy is kept in {kept})", err=True)


if __name__ == "__main__":
    sys.exit(main())
