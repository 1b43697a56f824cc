"""Retention (GDPR): closing a workshop, purging its raw answers, deleting it now.

Deleted text must be gone from the bytes of the database file and of its WAL, not only
from query results: every test that deletes greps the files for a unique marker.
"""

import re
import uuid
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from workshop import models
from workshop.cli import main

from .conftest import HX, join, make_workshop

OLD = "2026-01-05T09:00:00+00:00"  # a closing date long past any retention period
PROPOSAL = "Every day we care kindly and carefully for the health of all our patients"


def file_bytes(database: Path) -> bytes:
    """Everything SQLite keeps on disk for a database: the file and its WAL."""
    parts = [database, Path(f"{database}-wal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def fill(db, workshop, marker: str) -> dict:
    """Give a workshop raw answers of every kind, each carrying ``marker``; and an agreement.

    Returns the texts that must survive a purge.
    """
    stage = models.current_stage(db, workshop)
    first, second = (models.add_participant(db, workshop)[0] for _ in range(2))
    models.rename_participant(db, workshop, first, f"Name {marker}")
    answer = models.add_answer(
        db, workshop, stage, first, f"Answer {marker}", f"Detail {marker}", uuid.uuid4().hex
    )
    models.edit_as_facilitator(db, workshop, answer, f"Reworded {marker}")
    other = models.add_answer(db, workshop, stage, second, f"Second {marker}")
    theme = models.add_theme(db, workshop, stage, f"Theme {marker}")
    models.set_theme(db, workshop, other, theme)
    models.open_voting(db, workshop, stage)
    models.cast_vote(db, workshop, second, answer)
    models.set_proposals_open(db, workshop, True)
    version = models.propose_draft(db, workshop, f"{PROPOSAL} {marker}", first)
    models.suggest_amendment(db, workshop, version, second, f"Amendment {marker}")
    round_ = models.open_round(db, workshop, "mission", version)
    models.answer_round(db, workshop, round_, second, 4, f"Reason {marker}")
    models.cancel_round(db, workshop, round_)
    kept = {"mission": f"Mission {uuid.uuid4().hex}", "principle": f"Kind {uuid.uuid4().hex}"}
    models.save_mission(db, workshop, kept["mission"])
    models.replace_principles(db, workshop, [(kept["principle"], "we greet everyone by name")])
    models.mark_agreed(db, workshop)
    return kept


def record_exports(db, workshop, folder: Path, marker: str) -> dict[str, Path]:
    """Keep a poster and an answers file for the workshop in ``folder``, as exports do."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, name, content in (
        ("poster", f"{workshop.public_id}-poster.pdf", b"%PDF poster"),
        ("csv", f"{workshop.public_id}-answers.csv", f"Answer {marker}".encode()),
    ):
        (folder / name).write_bytes(content)
        models.record_export(db, workshop, kind, name)
        files[kind] = folder / name
    return files


def travel_to(patch, moment: str) -> None:
    """Make every model stamp ``moment`` as the time now (each models module imports now)."""
    for module in vars(models).values():
        if isinstance(module, ModuleType) and hasattr(module, "now"):
            patch.setattr(module, "now", lambda: moment)


def close_long_ago(db, workshop, monkeypatch):
    """Close the workshop as if it had happened on ``OLD``."""
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        return models.close_workshop(db, workshop)


def purge(*args: str):
    result = CliRunner().invoke(main, ["purge", *args])
    assert result.exit_code == 0, result.output
    return result.output


# Closing ----------------------------------------------------------------------------------


def test_closing_expires_the_join_code_and_stops_answers(app, db, workshop, facilitator):
    phone = app.test_client()
    join(phone, workshop)
    response = facilitator.post(f"/w/{workshop.public_id}/close")
    assert response.status_code == 303
    closed = models.get_workshop(db, workshop.public_id)
    assert closed.status == "closed" and closed.closed_at and closed.joining_locked
    assert models.get_open_workshop_by_join_code(db, workshop.join_code) is None
    assert app.test_client().get(f"/j/{workshop.join_token}").status_code == 404
    typed = app.test_client().post("/join", data={"code": workshop.join_code})
    assert typed.status_code == 422
    sent = phone.post(f"/w/{workshop.public_id}/answers", data={"body": "Late", "nonce": "n1"})
    assert sent.status_code == 409
    assert models.list_answers(db, models.current_stage(db, workshop)) == []


def test_closing_twice_keeps_the_first_closing_time(db, workshop, monkeypatch):
    first = close_long_ago(db, workshop, monkeypatch)
    again = models.close_workshop(db, first)
    assert again.closed_at == first.closed_at == OLD


def test_closing_stops_voting_and_withdraws_an_open_round(db, workshop):
    stage = models.current_stage(db, workshop)
    person, _key = models.add_participant(db, workshop)
    models.add_answer(db, workshop, stage, person, "Zdrowie")
    models.open_voting(db, workshop, stage)
    round_ = models.open_round(
        db, workshop, "mission", models.propose_draft(db, workshop, PROPOSAL)
    )
    models.close_workshop(db, workshop)
    assert not models.get_stage(db, workshop, stage.id).accepts_answers()
    assert models.get_stage(db, workshop, stage.id).voting == "closed"
    assert models.get_round(db, workshop, round_.id).outcome == "withdrawn"


def test_stages_page_offers_closing_then_says_when_answers_go(app, facilitator, workshop):
    page = facilitator.get(f"/w/{workshop.public_id}/stages").get_data(as_text=True)
    assert f'action="/w/{workshop.public_id}/close"' in page
    assert "30" in re.sub(r"\s+", " ", page.split('id="end-workshop"')[1])
    facilitator.post(f"/w/{workshop.public_id}/close")
    page = facilitator.get(f"/w/{workshop.public_id}/stages").get_data(as_text=True)
    section = page.split('id="end-workshop"')[1]
    assert f'action="/w/{workshop.public_id}/close"' not in section
    assert f'action="/w/{workshop.public_id}/delete"' in section


def test_only_the_facilitator_may_close_or_delete(app, workshop, phone, db):
    for action in ("close", "delete"):
        response = phone.post(f"/w/{workshop.public_id}/{action}", data={"confirm": "yes"})
        assert response.status_code == 403
    assert models.get_workshop(db, workshop.public_id).status == "open"


# Purging ----------------------------------------------------------------------------------


def test_purge_deletes_raw_answers_keeps_the_agreement_and_leaves_no_bytes(
    env, cli_db, monkeypatch
):
    marker = f"marker-{uuid.uuid4().hex}"
    workshop, _token = make_workshop(cli_db)
    kept = fill(cli_db, workshop, marker)
    files = record_exports(cli_db, workshop, env / "exports", marker)
    close_long_ago(cli_db, workshop, monkeypatch)
    database = env / "credo.db"
    assert marker.encode() in file_bytes(database)  # so its absence below means something

    output = purge()

    assert f"Purging {workshop.public_id}" in output and "2 answers" in output
    assert marker.encode() not in file_bytes(database)
    left = models.raw_data(cli_db, workshop)
    assert left.is_empty
    after = models.get_workshop(cli_db, workshop.public_id)
    assert after.mission == kept["mission"] and after.is_agreed
    assert [p.name for p in models.list_principles(cli_db, after)] == [kept["principle"]]
    assert kept["mission"].encode() in file_bytes(database)
    assert files["poster"].exists() and not files["csv"].exists()
    assert [e.kind for e in models.list_exports(cli_db, after)] == ["poster"]
    assert models.list_rounds(cli_db, after) == []  # withdrawn: it held a phone's wording


def test_purge_waits_for_the_retention_period(env, cli_db, monkeypatch):
    workshop, _token = make_workshop(cli_db)
    fill(cli_db, workshop, "recent")
    models.close_workshop(cli_db, workshop)  # closed now: 30 days to go
    assert "Nothing to purge" in purge()
    assert not models.raw_data(cli_db, workshop).is_empty
    monkeypatch.setenv("WORKSHOP_RETENTION_DAYS", "400")
    january, _token = make_workshop(cli_db)
    fill(cli_db, january, "january")
    close_long_ago(cli_db, january, monkeypatch)
    assert "Nothing to purge" in purge()
    assert "Purging" in purge("--days", "7")  # the January one, with today's options


def test_open_workshops_are_never_purged(env, cli_db, monkeypatch):
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        workshop, _token = make_workshop(cli_db)
    stage = models.current_stage(cli_db, workshop)
    person, _key = models.add_participant(cli_db, workshop)
    models.add_answer(cli_db, workshop, stage, person, "Still running")
    purge()
    assert models.get_workshop(cli_db, workshop.public_id).status == "open"
    assert models.raw_data(cli_db, workshop).answers == 1


def test_dry_run_lists_what_would_go_and_deletes_nothing(env, cli_db, monkeypatch):
    workshop, _token = make_workshop(cli_db, title="Przychodnia Pod Lipami")
    fill(cli_db, workshop, "dry")
    close_long_ago(cli_db, workshop, monkeypatch)
    output = purge("--dry-run")
    listed = f"Would purge {workshop.public_id}  'Przychodnia Pod Lipami', closed 2026-01-05: "
    listed += "2 answers, 1 dot, 1 round answer, 1 suggested change, 1 draft, "
    listed += "1 round not agreed, 2 people"
    assert listed in output
    assert "Nothing was deleted" in output
    assert models.raw_data(cli_db, workshop).answers == 2
    assert "Purged 1 workshop" in purge()
    assert "Nothing to purge" in purge("--dry-run")


def test_purge_closes_idle_workshops_and_deletes_those_nobody_joined(env, cli_db, monkeypatch):
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        used, _token = make_workshop(cli_db)
        models.add_participant(cli_db, used)
        abandoned, _token = make_workshop(cli_db)  # nobody joined it, ever
    prepared, _token = make_workshop(cli_db)  # for next week: nobody has joined it yet
    assert "Would close" in purge("--dry-run")
    assert models.get_workshop(cli_db, used.public_id).status == "open"
    output = purge()
    assert f"Closing {used.public_id}" in output
    assert models.get_workshop(cli_db, used.public_id).status == "closed"
    assert f"Deleting {abandoned.public_id}" in output
    assert models.get_workshop(cli_db, abandoned.public_id) is None
    assert models.get_workshop(cli_db, prepared.public_id).status == "open"
    assert models.get_workshop(cli_db, used.public_id) is not None  # closed, never deleted
    assert f"Deleting {used.public_id}" not in purge()


# Deleting now -----------------------------------------------------------------------------


def test_delete_asks_first_then_removes_everything_down_to_the_bytes(
    app, db, workshop, facilitator
):
    other, _token = make_workshop(db, title="Another team")
    marker = f"marker-{uuid.uuid4().hex}"
    kept = fill(db, workshop, marker)
    fill(db, other, "other-team")
    files = record_exports(db, workshop, Path(app.config["EXPORTS_DIR"]), marker)
    database = Path(app.config["DATABASE"])
    assert marker.encode() in file_bytes(database)

    asked = facilitator.post(f"/w/{workshop.public_id}/delete", headers=HX)
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.get_data(as_text=True)
    assert models.get_workshop(db, workshop.public_id) is not None

    deleted = facilitator.post(f"/w/{workshop.public_id}/delete", data={"confirm": "yes"})

    assert deleted.status_code == 303 and deleted.headers["Location"] == "/"
    assert models.get_workshop(db, workshop.public_id) is None
    assert not any(path.exists() for path in files.values())
    on_disk = file_bytes(database)
    assert marker.encode() not in on_disk
    assert kept["mission"].encode() not in on_disk
    assert models.raw_data(db, other).answers == 2
    assert facilitator.get(f"/w/{workshop.public_id}/control").status_code == 404


def test_delete_with_htmx_sends_the_browser_to_the_start_page(facilitator, workshop):
    response = facilitator.post(
        f"/w/{workshop.public_id}/delete", data={"confirm": "yes"}, headers=HX
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"


def test_purge_and_delete_commands_have_help():
    for command in ("purge", "backup", "restore"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


# Clients' feedback ------------------------------------------------------------------------


def test_purge_clears_old_feedback_text_and_contact_and_keeps_the_counts(
    env, cli_db, monkeypatch
):
    marker = f"marker-{uuid.uuid4().hex}"
    workshop, _token = make_workshop(cli_db)  # an open workshop: its feedback link lives on
    with monkeypatch.context() as patch:
        travel_to(patch, OLD)
        models.add_feedback(cli_db, workshop, 2, [], f"Comment {marker}", f"{marker}@example.com")
    models.add_feedback(cli_db, workshop, 5, [], "Recent and kept")
    files = record_exports(cli_db, workshop, env / "exports", marker)
    database = env / "credo.db"
    assert marker.encode() in file_bytes(database)

    assert "Would clear" in purge("--dry-run")
    assert marker.encode() in file_bytes(database)
    output = purge()

    assert f"Clearing {workshop.public_id}" in output
    assert marker.encode() not in file_bytes(database)
    assert not files["csv"].exists() and files["poster"].exists()
    old, recent = models.list_feedback(cli_db, workshop)
    assert (old.rating, old.comment, old.contact, old.call_back) == (2, "", "", 1)
    assert old.redacted_at and recent.comment == "Recent and kept"
    assert models.feedback_counts(cli_db, workshop).total == 2
    assert "Clearing" not in purge()  # nothing left to clear
