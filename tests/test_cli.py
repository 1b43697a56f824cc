"""The ``workshop`` command, run as a user would run it."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from workshop import models
from workshop.cli import main
from workshop.db import connect


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path


def test_create_prints_json_with_every_link(env):
    result = CliRunner().invoke(
        main, ["create", "--title", "Przychodnia Pod Lipami", "--lang", "pl", "--json"]
    )
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert set(info) == {"id", "join_code", "join_url", "screen_url", "facilitator_url"}
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, info["id"])
    assert workshop.title == "Przychodnia Pod Lipami" and workshop.language == "pl"
    assert info["join_code"] == workshop.join_code
    assert info["screen_url"].endswith(f"/s/{workshop.screen_token}")
    token = info["facilitator_url"].rsplit("/", 1)[1]
    assert models.get_workshop_by_admin_token(db, token).id == workshop.id
    db.close()


def test_created_workshop_opens_in_the_browser_app(env):
    from workshop import create_app

    result = CliRunner().invoke(main, ["create", "--title", "Klinika", "--lang", "en", "--json"])
    info = json.loads(result.output)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(env / "cli.db")})
    client = app.test_client()
    claimed = client.get(info["facilitator_url"].split("5000", 1)[1])
    assert claimed.status_code == 303
    assert client.get(claimed.headers["Location"]).status_code == 200


def test_create_refuses_an_empty_title_and_a_wrong_language(env):
    assert CliRunner().invoke(main, ["create", "--title", "  ", "--lang", "pl"]).exit_code != 0
    assert CliRunner().invoke(main, ["create", "--title", "X", "--lang", "de"]).exit_code != 0


def test_export_json_has_stages_answers_mission_principles(env):
    runner = CliRunner()
    info = json.loads(
        runner.invoke(main, ["create", "--title", "Klinika", "--lang", "pl", "--json"]).output
    )
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, info["id"])
    participant, _key = models.add_participant(db, workshop)
    models.add_answer(
        db, workshop, models.current_stage(db, workshop), participant, "Zdrowie"
    )
    models.save_mission(db, workshop, "Pomagamy ludziom być zdrowymi każdego dnia.")
    models.replace_principles(
        db,
        workshop,
        [("Szacunek", "słuchamy"), ("Rzetelność", "sprawdzamy"), ("Ciepło", "uśmiech")],
    )
    db.close()
    out = env / "record.json"
    result = runner.invoke(main, ["export", info["id"], "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["stages"][0]["answers"][0]["body"] == "Zdrowie"
    assert record["mission"]["text"].startswith("Pomagamy")
    assert len(record["principles"]) == 3


def test_export_of_an_unknown_workshop_fails_clearly(env):
    result = CliRunner().invoke(
        main, ["export", "nope", "--format", "json", "-o", str(env / "x.json")]
    )
    assert result.exit_code != 0
    assert "nope" in result.output


@pytest.mark.parametrize("command", [[], ["serve"], ["create"], ["export"]])
def test_every_command_has_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "workshop.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "Usage:" in result.stdout


def test_readme_documents_the_two_commands_and_every_cli_command():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for command in main.commands:
        assert f"workshop {command}" in readme


def test_create_with_the_trust_template_adds_the_five_questions(env):
    result = CliRunner().invoke(
        main, ["create", "--title", "Gabinet", "--lang", "en", "--template", "trust", "--json"]
    )
    assert result.exit_code == 0, result.output
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, json.loads(result.output)["id"])
    titles = [stage.title for stage in models.list_stages(db, workshop)]
    assert "How do we win back lost trust?" in titles and len(titles) == 12
    db.close()


# workshop export ---------------------------------------------------------------------------


def _agreed_workshop(env, language="en"):
    """Create a workshop through the command line and agree its mission through models."""
    from .test_exports import agree

    result = CliRunner().invoke(
        main, ["create", "--title", "Klinika", "--lang", language, "--json"]
    )
    info = json.loads(result.output)
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, info["id"])
    agree(db, workshop)
    return info["id"], db, workshop


def _page(path) -> tuple[int, int]:
    from .test_exports import page_size

    return page_size(path)


def test_export_help_lists_the_frames_sizes_and_formats():
    from workshop.poster import FRAMES, THEMES

    result = CliRunner().invoke(main, ["export", "--help"])
    assert result.exit_code == 0
    for name in [*FRAMES, *THEMES, "a4", "a3", "a2", "letter", "ledger", "landscape"]:
        assert name in result.output
    for fmt in ("pdf", "card", "report", "csv", "md", "json", "--bleed", "--archival"):
        assert fmt in result.output


def test_export_poster_with_size_orientation_and_frame(env):
    from .test_exports import A4, pdf_text

    workshop_id, db, workshop = _agreed_workshop(env)
    out = env / "poster.pdf"
    args = ["export", workshop_id, "--format", "pdf", "--size", "a4", "--orientation"]
    args += ["landscape", "--frame", "black", "--theme", "white", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert _page(out) == A4[::-1]
    assert "OUR MISSION" in " ".join(pdf_text(out).split()).upper()
    export = models.list_exports(db, workshop)[0]
    chosen = {"size": "a4", "orientation": "landscape", "frame": "black", "theme": "white"}
    assert chosen.items() <= json.loads(export.options).items()
    assert (env / "exports" / export.filename).read_bytes() == out.read_bytes()
    db.close()


def test_export_poster_with_bleed_grows_the_page_by_the_bleed_and_slug(env):
    from .test_exports import A4

    workshop_id, db, _workshop = _agreed_workshop(env)
    out = env / "bleed.pdf"
    result = CliRunner().invoke(
        main, ["export", workshop_id, "--size", "a4", "--bleed", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    bleed = 24 / 25.4 * 72  # 3 mm of bleed and a 9 mm slug on each side, in points
    assert _page(out) == (round(595.276 + bleed), round(841.89 + bleed))
    boxes = subprocess.run(["pdfinfo", "-box", str(out)], capture_output=True, text=True).stdout
    trim = next(line for line in boxes.splitlines() if line.startswith("TrimBox"))
    left, bottom, right, top = (float(number) for number in trim.split()[1:5])
    assert (round(right - left), round(top - bottom)) == A4
    db.close()


def test_export_poster_defaults_to_the_options_chosen_on_its_page(env):
    from .test_exports import A2

    workshop_id, db, workshop = _agreed_workshop(env)
    models.save_poster_settings(db, workshop, json.dumps({"size": "a2"}), "Kraków")
    out = env / "saved.pdf"
    result = CliRunner().invoke(main, ["export", workshop_id, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _page(out) == A2
    out2 = env / "override.pdf"
    result = CliRunner().invoke(
        main, ["export", workshop_id, "--orientation", "landscape", "-o", str(out2)]
    )
    assert result.exit_code == 0, result.output
    assert _page(out2) == A2[::-1]
    db.close()


def test_export_record_formats_to_standard_output_and_files(env):
    from .test_exports import pdf_text

    workshop_id, db, workshop = _agreed_workshop(env)
    stage = models.current_stage(db, workshop)
    person, _key = models.add_participant(db, workshop)
    models.add_answer(db, workshop, stage, person, "=1+1 *dobrze*")
    runner = CliRunner()
    csv_out = runner.invoke(main, ["export", workshop_id, "--format", "csv", "-o", "-"])
    assert csv_out.exit_code == 0, csv_out.output
    assert csv_out.stdout.startswith("\ufeff") and "'=1+1 *dobrze*" in csv_out.stdout
    md_out = runner.invoke(main, ["export", workshop_id, "--format", "md", "-o", "-"])
    assert md_out.stdout.startswith("# Klinika") and r"=1+1 \*dobrze\*" in md_out.stdout
    json_out = runner.invoke(main, ["export", workshop_id, "--format", "json", "-o", "-"])
    assert json.loads(json_out.stdout)["stages"][0]["answers"][0]["body"].startswith("=1")
    report = env / "report.pdf"
    result = runner.invoke(main, ["export", workshop_id, "--format", "report", "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert "=1+1 *dobrze*" in pdf_text(report)
    card = env / "card.pdf"
    result = runner.invoke(
        main, ["export", workshop_id, "--format", "card", "--size", "a4", "-o", str(card)]
    )
    assert result.exit_code == 0, result.output
    assert "Rzetelność" in pdf_text(card)
    kinds = [export.kind for export in models.list_exports(db, workshop)]
    assert kinds == ["card", "report", "json", "markdown", "csv"]
    db.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "pdf", "-o", "-"], "to a file"),
        (["--format", "csv", "--frame", "gold", "-o", "x.csv"], "--frame is for the poster"),
        (["--format", "card", "--size", "a2", "-o", "x.pdf"], "a5 or a4"),
        (["--format", "pdf", "--size", "a5", "-o", "x.pdf"], "staff card"),
        (["--frame", "plastic", "-o", "x.pdf"], "plastic"),
    ],
)
def test_export_refuses_options_that_do_not_fit_the_format(env, args, message):
    workshop_id, db, _workshop = _agreed_workshop(env)
    db.close()
    result = CliRunner().invoke(main, ["export", workshop_id, *args])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_export_errors_are_clear_messages_not_tracebacks(env, monkeypatch):
    from workshop import poster

    runner = CliRunner()
    unknown = runner.invoke(main, ["export", "nope", "--format", "pdf", "-o", str(env / "p.pdf")])
    assert unknown.exit_code == 1 and "nope" in unknown.output
    info = json.loads(
        runner.invoke(main, ["create", "--title", "Klinika", "--lang", "en", "--json"]).output
    )
    draft = runner.invoke(main, ["export", info["id"], "-o", str(env / "p.pdf")])
    assert draft.exit_code == 1 and "mission" in draft.output
    workshop_id, db, _workshop = _agreed_workshop(env)
    db.close()

    def too_long(*args, **kwargs):
        raise poster.PosterError("The text is too long to print at a legible size.")

    monkeypatch.setattr(poster, "render_poster", too_long)
    result = runner.invoke(main, ["export", workshop_id, "--size", "a4", "-o", str(env / "p.pdf")])
    assert result.exit_code == 1 and "too long" in result.output
    for failed in (unknown, draft, result):
        assert isinstance(failed.exception, SystemExit) and "Traceback" not in failed.output
    assert not (env / "p.pdf").exists()


@pytest.mark.parametrize("fmt", ["pdf", "card", "csv"])
def test_a_failed_output_write_keeps_no_export_and_no_half_file(env, monkeypatch, fmt):
    workshop_id, db, workshop = _agreed_workshop(env)
    runner = CliRunner()
    missing = env / "no-such-folder" / "out"
    result = runner.invoke(main, ["export", workshop_id, "--format", fmt, "-o", str(missing)])
    assert result.exit_code == 1 and "cannot write" in result.output
    assert models.list_exports(db, workshop) == []
    assert "nothing was kept" in result.output and "Traceback" not in result.output
    out = env / "out"
    out.write_bytes(b"the earlier export")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr("workshop.cli.os.replace", full_disk)
        result = runner.invoke(main, ["export", workshop_id, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 1 and "No space left" in result.output
    assert out.read_bytes() == b"the earlier export"  # not written in place
    assert not [path for path in env.iterdir() if path.name.startswith(".out")]  # no temporary
    assert models.list_exports(db, workshop) == []
    assert not (env / "exports").exists() or not list((env / "exports").iterdir())
    result = runner.invoke(main, ["export", workshop_id, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() != b"the earlier export" and oct(out.stat().st_mode)[-3:] != "600"
    assert len(models.list_exports(db, workshop)) == 1
    db.close()


def test_export_refuses_a_staff_card_for_principles_never_agreed(env):
    from .test_exports import PRINCIPLES

    runner = CliRunner()
    info = json.loads(
        runner.invoke(main, ["create", "--title", "Klinika", "--lang", "en", "--json"]).output
    )
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, info["id"])
    models.replace_principles(db, workshop, PRINCIPLES)
    card = env / "card.pdf"
    result = runner.invoke(main, ["export", info["id"], "--format", "card", "-o", str(card)])
    assert result.exit_code == 1 and "principles are not agreed yet" in result.output
    assert not card.exists() and models.list_exports(db, workshop) == []
    db.close()


def test_export_writes_the_spreadsheet_as_xlsx_to_a_file_only(env):
    workshop_id, db, workshop = _agreed_workshop(env)
    runner = CliRunner()
    refused = runner.invoke(main, ["export", workshop_id, "--format", "xlsx", "-o", "-"])
    assert refused.exit_code == 2 and "to a file" in refused.output
    out = env / "answers.xlsx"
    result = runner.invoke(main, ["export", workshop_id, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    assert [export.kind for export in models.list_exports(db, workshop)] == ["xlsx"]
    db.close()
