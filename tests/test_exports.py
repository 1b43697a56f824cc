"""The poster download and the CLI's PDF export, checked with poppler like a printer would."""

import json
import re
import subprocess

from click.testing import CliRunner

from workshop import models
from workshop.cli import main

from .conftest import HX

MISSION = "Każdego dnia z życzliwością troszczymy się o zdrowie naszych pacjentów — „razem”."
PRINCIPLES = [
    ("Życzliwość", "każdego witamy z uśmiechem"),
    ("Rzetelność", "leczymy zgodnie z aktualną wiedzą"),
    ("Poufność", "ściśle chronimy dane i tajemnicę lekarską"),
]


def agree(db, workshop):
    models.save_mission(db, workshop, MISSION)
    models.replace_principles(db, workshop, PRINCIPLES)
    models.mark_agreed(db, workshop)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def test_poster_downloads_as_one_a3_page_and_is_kept_in_exports(
    facilitator, workshop, db, app, tmp_path
):
    agree(db, workshop)
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert "841.89 x 1190.55 pts (A3)" in info
    text = " ".join(pdf_text(pdf).split())
    assert "PrzychodniaPodLipami" in text.replace(" ", "")  # the title is letter-spaced
    assert "Nasza misja".upper() in text.upper()
    for word in ("życzliwością", "„razem”", "Poufność", "tajemnicę"):
        assert word in text
    kept = list((tmp_path / "exports").glob("*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == response.data
    assert models.list_exports(db, workshop)[0].filename == kept[0].name


def test_poster_fonts_are_embedded(facilitator, workshop, db, tmp_path):
    agree(db, workshop)
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(facilitator.get(f"/w/{workshop.public_id}/poster.pdf").data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    for row in rows:
        assert " yes yes " in row  # embedded, subset
        assert "DejaVu" not in row and "Noto" not in row


def test_poster_waits_for_a_mission_and_principles(facilitator, workshop):
    response = facilitator.get(f"/w/{workshop.public_id}/poster.pdf", headers=HX)
    assert response.status_code == 422


def test_poster_is_only_for_the_facilitator(client, phone, workshop, db):
    agree(db, workshop)
    assert client.get(f"/w/{workshop.public_id}/poster.pdf").status_code == 403
    assert phone.get(f"/w/{workshop.public_id}/poster.pdf").status_code == 403


def test_cli_exports_the_poster_pdf(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    runner = CliRunner()
    info = json.loads(
        runner.invoke(main, ["create", "--title", "Klinika", "--lang", "en", "--json"]).output
    )
    from workshop.db import connect

    db = connect(str(tmp_path / "cli.db"))
    refused = runner.invoke(
        main, ["export", info["id"], "--format", "pdf", "-o", str(tmp_path / "p.pdf")]
    )
    assert refused.exit_code != 0 and "mission" in refused.output
    agree(db, models.get_workshop(db, info["id"]))
    db.close()
    result = runner.invoke(
        main, ["export", info["id"], "--format", "pdf", "-o", str(tmp_path / "p.pdf")]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(tmp_path / "p.pdf").split()).upper()
    assert "OUR MISSION" in text and "KLINIKA" in text
