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


def test_export_json_has_stages_contributions_mission_principles(env):
    runner = CliRunner()
    info = json.loads(
        runner.invoke(main, ["create", "--title", "Klinika", "--lang", "pl", "--json"]).output
    )
    db = connect(str(env / "cli.db"))
    workshop = models.get_workshop(db, info["id"])
    participant, _key = models.add_participant(db, workshop)
    models.add_contribution(
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
    assert record["stages"][0]["contributions"][0]["body"] == "Zdrowie"
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
