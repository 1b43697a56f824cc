"""The team's pulse with a year of a busy clinic's feedback, timed server side.

50,000 clients' answers (``tests/browser/volume.fill_feedback``: ratings mostly 4–5, 0–3
of 8 agreed principles each, a comment on one in three, fewer at weekends) spread over the
last 365 days. In-process through Flask's test client, as the facilitator's browser asks:
the pulse page for each range (the last 12 weeks, 12 months, all) and the lead's read-only
page, then the monthly pulse sheet (a PDF laid out by WeasyPrint, kept once per identical
sheet: every request lays it out again). The time is the server's alone, no network and no
browser; p50 / p95 of ``REPEATS`` requests after one untimed warm-up.

``python -m bench.pulse`` prints the lines.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from tests.browser.volume import fill_feedback, fresh

from .inprocess import bench_app, new_workshop
from .table import Line, percentile, spread

ROWS = 50_000
REPEATS = 20
SHEET_REPEATS = 10
PAGE_TARGET = 0.2  # s, p95: the pulse page (issue 18)
SHEET_TARGET = 1.0  # s, p95: the monthly pulse sheet


def _clinic(folder: Path):
    """An app on a fresh database with a year of feedback; the facilitator's client."""
    took: list[float] = []

    def a_year(db, made) -> None:
        began = time.monotonic()
        fill_feedback(db, made, ROWS, days=365)
        took.append(time.monotonic() - began)

    db, made, client = new_workshop(bench_app(folder), a_year)
    return db, fresh(db, made), client, took[0]


def _times(client, url: str, repeats: int) -> list[float]:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return sorted(times)


def _line(what: str, times: list[float], target: float) -> Line:
    p95 = percentile(times, 0.95)
    return Line("pulse", what, spread(times), f"p95 ≤ {target * 1000:.0f} ms", p95 <= target)


def pulse_lines() -> list[Line]:
    """Time the pulse page and the monthly sheet on 50,000 answers."""
    with tempfile.TemporaryDirectory() as folder:
        db, made, client, filled = _clinic(Path(folder))
        base = f"/w/{made.public_id}/pulse"
        lines = [
            _line(f"page, {name} ({ROWS:,} answers)", _times(client, url, REPEATS), PAGE_TARGET)
            for name, url in (
                ("last 12 weeks", f"{base}?range=12w"),
                ("last 12 months", f"{base}?range=12m"),
                ("all", f"{base}?range=all"),
                ("lead's link, 12 weeks", f"/t/{made.lead_token}"),
            )
        ]
        last_month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        sheet = f"{base}/sheet.pdf?month={last_month:%Y-%m}"  # the last whole month
        times = _times(client, sheet, SHEET_REPEATS)
        lines.append(_line("monthly sheet (PDF)", times, SHEET_TARGET))
        lines[0].note = f"{ROWS:,} rows written in {filled:.1f} s"
        db.close()
    return lines


if __name__ == "__main__":
    for line in pulse_lines():
        print(f"{line.what}: {line.result} (target {line.target}) {line.note}")
