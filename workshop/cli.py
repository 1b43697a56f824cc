"""The ``workshop`` command: serve the app, create workshops, export posters and records,
back up and restore the database, and purge raw answers past their retention."""

import gc
import json
import os
import resource
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import click
from flask import Flask
from flask_babel import force_locale

from . import create_app, models, offload, poster, reach, words
from .db import DatabaseFileError, checkpoint, connect, integrity_problems
from .db import _write_lock as db_write_lock
from .db import backup as backup_database
from .db import restore as restore_database
from .exports import (
    poster_settings,
    record_file,
    remove_export_files,
    warm_up,
    write_feedback_card,
    write_poster,
    write_staff_card,
)
from .forms import clean_line
from .i18n import LANGUAGES
from .method import template_stages
from .poster import (
    CARD_SIZES,
    FEEDBACK_CARD_SIZES,
    FRAMES,
    ORIENTATIONS,
    SIZES,
    THEMES,
    PosterError,
    PosterOptions,
)
from .reach import external_url
from .rules import (
    EXPECTED_PEOPLE_RANGE,
    REQUEST_HEADERS_SECONDS,
    WORKER_CONNECTIONS_MIN,
    retention_days,
)
from .zones import default_zone, is_zone, local_date, workshop_zone

MAX_DEFAULT_WORKERS = 4
SERVING_CONFIG = Path(__file__).with_name("serving.py")  # gunicorn's settings, read by path


def _app() -> Flask:
    return create_app()


def _opened_at(app: Flask) -> str:
    """Where a page on this computer would be opened, with the app told where it listens.

    `workshop create` prints its links as such a page would show them (reach.py): on
    WORKSHOP_BASE_URL, on this computer's network address when $HOST is 0.0.0.0, and
    never on 0.0.0.0 itself.
    """
    config = app.config
    config["LISTEN_HOST"] = config.get("LISTEN_HOST") or os.environ.get("HOST", "127.0.0.1")
    config["LISTEN_PORT"] = config.get("LISTEN_PORT") or os.environ.get("PORT", "5000")
    try:
        port = int(config["LISTEN_PORT"])
    except ValueError:
        raise click.UsageError(f"PORT must be a number, not {config['LISTEN_PORT']!r}") from None
    host = str(config["LISTEN_HOST"]).strip("[]")
    if host in reach.ALL_INTERFACES or reach.is_local_host(host):
        host = "127.0.0.1"
    return reach.base_url("http", host, port)


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
    default=1500,
    show_default=True,
    help="Requests each worker is sized for (it accepts twice as many connections, at least "
    "10,000). Every open phone, screen and control page holds one for its live updates, so "
    "keep this well above the people connected; live updates get at most four fifths of them, "
    "the rest always serve pages.",
)
@click.option(
    "--workers",
    default=lambda: min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS),
    type=click.IntRange(min=1),
    show_default="one per CPU core, at most 4",
    help="Worker processes, to use several CPU cores. Without WORKSHOP_REDIS_URL each takes "
    "its share of the rate limits; with it they share one count.",
)
def serve(host: str, port: int, threads: int, workers: int) -> None:
    """Serve Credo with gunicorn (a production server, not Flask's development one)."""
    # Open connections: streams and kept-alive ones (~2 a person), and slow clients, which
    # hold a greenlet (not a thread) until dropped; past this the rest wait to be accepted.
    wanted = max(WORKER_CONNECTIONS_MIN, 2 * threads)
    # per process (each worker has its own files), with some left for the database and logs
    connections = min(wanted, _allow_open_files(wanted + 100) - 100)
    os.environ["WORKSHOP_WORKERS"] = str(workers)  # without Redis, each takes its share of limits
    os.environ["WORKSHOP_THREADS"] = str(threads)  # live streams leave some for other requests
    # The app's links and warnings depend on where it listens (reach.py).
    os.environ["WORKSHOP_LISTEN_HOST"] = host
    os.environ["WORKSHOP_LISTEN_PORT"] = str(port)
    _app()  # migrate and make the secret key once, before the workers start
    for line in reach.serving_lines(host, port, os.environ.get("WORKSHOP_BASE_URL")):
        click.echo(line)
    sys.stdout.flush()
    # gunicorn starts afresh, in place of this process, so its master never imports Credo
    # and each gevent worker patches before it loads the app (serving.py).
    os.execv(sys.executable, gunicorn_command(host, port, workers, connections))


def gunicorn_command(host: str, port: int, workers: int, connections: int) -> list[str]:
    """Return the command line that runs gunicorn with serving.py's settings."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(SERVING_CONFIG),
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-connections",
        str(connections),
        # gevent's worker drops a request whose headers take longer (serving.py)
        "--keep-alive",
        str(REQUEST_HEADERS_SECONDS),
    ]


def prepare_worker(worker: object) -> None:
    """Check the app's locks are gevent's, then start what is slow on first use in the
    background, so the first projector or control page after a (re)start does not wait for
    the word dictionaries, nor the first poster page for WeasyPrint (``worker.wsgi``: the
    worker's app; the warm-up's drawing runs where every render does, offload.py)."""
    # A lock made before gevent patched would block the whole worker when a greenlet waits
    # on it; db's write lock stands for every module-level lock, all made at import.
    if offload.cooperative() and not offload.is_cooperative(db_write_lock):
        raise RuntimeError("Credo was imported before gevent patched threading")
    if offload.cooperative():
        poster.load_libraries()  # before any render runs on the thread pool
    gc.freeze()
    words.load_in_background()
    threading.Thread(target=settle, args=(worker.wsgi,), name="warm-up", daemon=True).start()


def settle(app: Flask) -> None:
    """Warm up the renderer, wait for the dictionaries, then freeze what is now loaded.

    ``gc.freeze`` moves every object alive now (the app, WeasyPrint and its fonts, the
    dictionaries: about 110,000) out of the cyclic collector's sight. Each full collection
    walked them all, 47 ms in which the worker's every stream and request stood still, and
    a long render sets off several: the record PDF 845 → 759 ms (bench/actions.py settles
    the same way). They were never to be freed anyway; garbage made later is collected as
    before.
    """
    warm_up(app)
    words.loaded_lexicon()
    gc.freeze()


def _allow_open_files(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (a connection is one socket);
    return the limit now in force (``wanted`` when there is none)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        return ceiling
    return wanted if soft == resource.RLIM_INFINITY else soft


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
@click.option(
    "--timezone",
    "time_zone",
    help="The IANA time zone its dates are printed in, e.g. Europe/Warsaw (default: "
    "$WORKSHOP_TIMEZONE, else Europe/Warsaw for Polish and the server's zone for English).",
)
@click.option(
    "--expected",
    type=click.IntRange(*EXPECTED_PEOPLE_RANGE),
    help="How many people are expected: phones past it wait for the facilitator's approval "
    "(default: not set; the control page sets it too).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def create(
    title: str,
    language: str,
    template: str,
    time_zone: str | None,
    expected: int | None,
    as_json: bool,
) -> None:
    """Create a workshop and print its join code and links."""
    app = _app()
    title = clean_line(title)
    if not 1 <= len(title) <= 120:
        raise click.BadParameter("the title must have 1 to 120 characters", param_hint="--title")
    if time_zone is not None and not is_zone(time_zone):
        raise click.BadParameter(
            f"{time_zone!r} is not a time zone name such as Europe/Warsaw or UTC",
            param_hint="--timezone",
        )
    with app.app_context(), app.test_request_context(base_url=_opened_at(app)):
        db = connect(app.config["DATABASE"])
        workshop, admin_token = models.create_workshop(
            db,
            title,
            language,
            template_stages(template, language),
            time_zone=time_zone or default_zone(language),
        )
        if expected is not None:
            models.set_expected_people(db, workshop, expected)
        info = {
            "id": workshop.public_id,
            "join_code": workshop.join_code,
            "join_url": external_url("participant.join_by_token", token=workshop.join_token),
            "screen_url": external_url("screen.show", token=workshop.screen_token),
            "facilitator_url": external_url("facilitator.claim", token=admin_token),
        }
        reachable = reach.current().reachable
        db.close()
    if as_json:
        click.echo(json.dumps(info))
        return
    for key, value in info.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")
    click.echo(f"time zone: {workshop.time_zone}")
    click.echo("Keep the facilitator URL private: it controls the workshop.")
    if not reachable:
        click.echo(
            "These links point at this computer itself: phones cannot open them. Once Credo "
            "listens on the network (HOST=0.0.0.0 make run), the control page shows links "
            "phones can use."
        )


FORMATS = {
    "pdf": "the framed poster",
    "card": "the staff card: the agreed trust-recovery routine and the principles",
    "table-card": "the reception desk's card with the clients' feedback QR code "
    "(printed on WORKSHOP_BASE_URL)",
    "report": "the whole workshop as a readable PDF report",
    "csv": "one spreadsheet row per answer",
    "xlsx": "the same spreadsheet as an Excel workbook",
    "md": "the whole workshop as Markdown",
    "json": "the whole workshop as JSON",
}
TEXT_FORMATS = ("csv", "md", "json")


def _check_export_options(fmt: str, size: str | None, chosen: dict, to_stdout: bool) -> None:
    """Refuse options that do not belong to the chosen format."""
    if to_stdout and fmt not in TEXT_FORMATS:
        example = "record.xlsx" if fmt == "xlsx" else "poster.pdf"
        raise click.UsageError(f"write {fmt} to a file, e.g. -o {example}")
    if fmt != "pdf" and chosen:
        raise click.UsageError(f"--{next(iter(chosen))} is for the poster (--format pdf)")
    if size and fmt not in ("pdf", "card", "table-card"):
        raise click.UsageError("--size is for the poster and the cards")
    if size and fmt == "pdf" and size not in SIZES:
        raise click.UsageError(f"a poster is {', '.join(SIZES)}; a5 is for the staff card")
    if size and fmt == "card" and size not in CARD_SIZES:
        raise click.UsageError("a staff card is a5 or a4")
    if size and fmt == "table-card" and size not in FEEDBACK_CARD_SIZES:
        raise click.UsageError("a table card is a6 or a5")


@main.command()
@click.argument("workshop_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="pdf",
    show_default=True,
    help="; ".join(f"{name}: {what}" for name, what in FORMATS.items()) + ".",
)
@click.option(
    "--size",
    type=click.Choice(
        [*SIZES, *(size for size in (*CARD_SIZES, *FEEDBACK_CARD_SIZES) if size not in SIZES)]
    ),
    help="Paper: a4, a3, a2, letter or ledger (11 × 17 in) for the poster; a5 or a4 for the "
    "staff card (default a5); a6 or a5 for the table card (default a6). The poster's default "
    "is what was last chosen on its page.",
)
@click.option("--orientation", type=click.Choice(ORIENTATIONS), help="The poster's orientation.")
@click.option("--frame", type=click.Choice(list(FRAMES)), help="The poster's frame.")
@click.option("--theme", type=click.Choice(list(THEMES)), help="The poster's colours.")
@click.option(
    "--bleed/--no-bleed", default=None, help="3 mm bleed with crop marks, for a print shop."
)
@click.option("--archival/--no-archival", default=None, help="An archival PDF/A file.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    required=True,
    help="File to write (- for standard output: csv, md and json only).",
)
def export(
    workshop_id: str,
    fmt: str,
    size: str | None,
    orientation: str | None,
    frame: str | None,
    theme: str | None,
    bleed: bool | None,
    archival: bool | None,
    output: Path,
) -> None:
    """Export a workshop's poster, staff card or full record; a copy is kept in exports/.

    Poster options not given on the command line are the ones last chosen on the
    workshop's poster page.
    """
    to_stdout = str(output) == "-"
    chosen = {"orientation": orientation, "frame": frame, "theme": theme}
    chosen |= {"bleed": bleed, "archival": archival}
    chosen = {name: value for name, value in chosen.items() if value is not None}
    _check_export_options(fmt, size, chosen, to_stdout)
    app = _app()
    with app.app_context():
        db = connect(app.config["DATABASE"])
        workshop = models.get_workshop(db, workshop_id)
        if workshop is None:
            db.close()
            raise click.ClickException(f"no workshop has the id {workshop_id!r}")
        deliver = None if to_stdout else _writer(output)
        try:
            with force_locale(workshop.language):
                if fmt == "pdf":
                    saved = poster_settings(db, workshop)[0].as_dict()
                    options = PosterOptions.from_dict(
                        {**saved, **chosen, "size": size or saved["size"]}
                    )
                    content, kept = write_poster(db, workshop, options, deliver)
                elif fmt == "card":
                    content, kept = write_staff_card(db, workshop, size or "a5", deliver)
                elif fmt == "table-card":
                    content, kept = write_feedback_card(db, workshop, size or "a6", deliver)
                else:
                    record_fmt = "pdf" if fmt == "report" else fmt
                    content, kept = record_file(db, workshop, record_fmt, deliver)
        except (PosterError, ValueError) as error:
            raise click.ClickException(str(error)) from error
        except OSError as error:  # the -o file: nothing was kept
            message = f"cannot write {output}: {error.strerror or error}; nothing was kept"
            raise click.ClickException(message) from error
        finally:
            db.close()
    if to_stdout:  # only the data: it is usually piped on
        click.echo(content.decode("utf-8"), nl=False)
        return
    click.echo(f"Wrote {output} (a copy is kept in {kept})", err=True)


def _writer(output: Path) -> Callable[[bytes], None]:
    """Return what writes an export to ``output``: into a temporary file beside it, renamed
    over it once whole, so a failed write leaves no half file (and the export is kept only
    after it)."""

    def write(content: bytes) -> None:
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        temporary = Path(name)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            umask = os.umask(0)
            os.umask(umask)
            temporary.chmod(0o666 & ~umask)  # as a plain write would have made it
            os.replace(temporary, output)
        finally:
            temporary.unlink(missing_ok=True)

    return write


# Backups, restores and retention ---------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(file: Path) -> None:
    """Copy the database to FILE, safely while the server runs (SQLite's online backup).

    The copy is written beside FILE first, checked, then renamed over it, so FILE is
    always a whole backup. It holds everyone's answers: it is readable by you only.
    """
    app = _app()
    try:
        backup_database(app.config["DATABASE"], file)
    except (DatabaseFileError, OSError, sqlite3.Error) as error:
        raise click.ClickException(f"no backup written: {error}") from error
    click.echo(f"Backed up {app.config['DATABASE']} to {file} ({file.stat().st_size:,} bytes)")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking first.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE; stop the server first.

    FILE must pass SQLite's integrity check. A database still open in a running server is
    refused. The replaced database is kept beside it, named …-before-restore-<time>.
    """
    problems = integrity_problems(file)
    if problems:
        raise click.ClickException(f"{file} cannot be restored: " + "; ".join(problems))
    app = _app()
    database = app.config["DATABASE"]
    if not yes:
        click.confirm(f"Replace {database} with {file}?", abort=True)
    try:
        kept = restore_database(file, database)
    except (DatabaseFileError, OSError, sqlite3.Error) as error:
        raise click.ClickException(f"nothing restored: {error}") from error
    click.echo(f"Restored {database} from {file}.")
    if kept is not None:
        click.echo(f"The database it replaced is kept as {kept}.")
    click.echo("Run `workshop purge` before serving, in case some of it is past retention.")


def _describe(found: models.RawData) -> str:
    workshop = found.workshop
    counts = [
        (found.answers, "answer", "answers"),
        (found.votes, "dot", "dots"),
        (found.round_answers, "round answer", "round answers"),
        (found.amendments, "suggested change", "suggested changes"),
        (found.drafts, "draft", "drafts"),
        (found.rounds, "round not agreed", "rounds not agreed"),
        (found.participants, "person", "people"),
        (len(found.files), "record file", "record files"),
    ]
    listed = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
    closed = local_date(workshop.closed_at, workshop_zone(workshop)) if workshop.closed_at else ""
    return f"{workshop.public_id}  {workshop.title!r}, closed {closed}: {listed}"


@main.command()
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Days a closed workshop keeps its raw answers (default: $WORKSHOP_RETENTION_DAYS or 30).",
)
def purge(dry_run: bool, days: int | None) -> None:
    """Delete the raw answers of workshops closed more than the retention period ago.

    Answers, dots, themes, round answers, drafts and suggested changes, rounds that agreed
    nothing, people and their names, and record exports go; the agreed mission, principles
    and routine (and the rounds that agreed them), the posters and staff cards stay.
    Workshops people took part in and then left untouched that long are closed first
    (their answers go one retention period later); workshops nobody ever joined, untouched
    that long, are deleted whole. Clients' comments and contact details older than that
    are cleared (open cases included), and so are the notes of cases closed that long ago.
    Run it daily, e.g. from cron.
    """
    app = _app()
    days = days or retention_days(app.config)
    with app.app_context(), closing(connect(app.config["DATABASE"])) as db:
        idle = models.idle_workshops(db, days)
        for workshop in idle:
            verb = "Would close" if dry_run else "Closing"
            click.echo(f"{verb} {workshop.public_id}  {workshop.title!r}: idle for {days} days")
            if not dry_run:
                models.close_workshop(db, workshop)
        for workshop in models.unjoined_workshops(db, days):
            verb = "Would delete" if dry_run else "Deleting"
            click.echo(
                f"{verb} {workshop.public_id}  {workshop.title!r}: nobody joined in {days} days"
            )
            if not dry_run:
                files = models.delete_workshop(db, workshop)
                remove_export_files(app.config["EXPORTS_DIR"], files)
        due = models.due_for_purge(db, days)
        for found in due:
            click.echo(("Would purge " if dry_run else "Purging ") + _describe(found))
            if not dry_run:
                files = models.purge_workshop(db, found.workshop)
                remove_export_files(app.config["EXPORTS_DIR"], files)
        for workshop in models.feedback_to_redact(db, days):
            verb = "Would clear" if dry_run else "Clearing"
            click.echo(
                f"{verb} {workshop.public_id}  {workshop.title!r}: clients' comments and "
                f"contact details older than {days} days"
            )
            if not dry_run:
                models.redact_feedback(db, days, workshop=workshop)
                files = models.drop_record_exports(db, workshop)  # they copy the comments
                remove_export_files(app.config["EXPORTS_DIR"], files)
        for workshop in models.cases_to_redact(db, days):
            verb = "Would clear" if dry_run else "Clearing"
            click.echo(
                f"{verb} {workshop.public_id}  {workshop.title!r}: notes of cases closed "
                f"{days}+ days ago"
            )
            if not dry_run:
                models.redact_cases(db, days, workshop=workshop)
        if not dry_run and not checkpoint(db):  # also finishes an earlier delete's
            click.echo("Warning: the WAL could not be truncated yet; run purge again.", err=True)
    if not due:
        click.echo(f"Nothing to purge: no workshop closed {days}+ days ago holds raw answers.")
    elif dry_run:
        click.echo(f"{len(due)} workshop(s) would be purged. Nothing was deleted (--dry-run).")
    else:
        click.echo(f"Purged {len(due)} workshop(s).")


if __name__ == "__main__":
    sys.exit(main())
