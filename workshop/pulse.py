"""The team's pulse: what clients said after their visits, counted by week or month, by
rating and by principle, and drawn as charts the server writes as SVG (no chart service,
no script); the monthly pulse sheet for the staff room gathers one month.

The pulse page (views/pulse.py, the facilitator's and the team lead's read-only link) and
the sheet (exports.py) both call these; the SQL is in models/feedback.py.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_date, format_decimal
from sqlite_utils import Database

from . import models
from .models import Feedback, PulsePeriod, PulseSpan, Workshop
from .rules import FEEDBACK_RATINGS, PULSE_RANGES, PULSE_SHEET_COMMENTS, PULSE_SHEET_MONTHS
from .zones import workshop_zone

# Charts: a viewBox of CHART_WIDTH units, which a laptop shows about as wide (labels of 18
# units) and a 390 px phone at about half, where pulse.css sets the labels at 26 units.
CHART_WIDTH = 600
PLOT_LEFT = 56  # room for the y axis' labels
PLOT_RIGHT = 30  # half a label past the last period
MAX_X_LABELS = 4  # a few labels: a phone has room for four
PRINCIPLE_ROW = 54  # a principle's name above its bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the period, as the axis and the table say it
    value: int


@dataclass(frozen=True)
class Tick:
    at: float  # x or y in the chart's units
    text: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    average: str
    answers: int


@dataclass(frozen=True)
class TimeChart:
    """Answers per period as bars, and the mean rating on a 1–5 line, on one time axis."""

    width: int
    bar_height: int  # the bars' own chart
    line_height: int  # the rating's chart
    plot_left: float
    plot_right: float
    bars: list[Bar]
    count_ticks: list[Tick]
    x_ticks: list[Tick]
    rating_ticks: list[Tick]
    lines: list[str]  # SVG polyline points, one per run of periods with answers
    points: list[Point]
    bar_bottom: float
    line_top: float
    line_bottom: float


@dataclass(frozen=True)
class PrincipleBar:
    name: str
    felt: int
    y: float
    width: float
    share: str  # of the answers in the span, as a percentage


@dataclass(frozen=True)
class PrincipleChart:
    width: int
    height: int
    bars: list[PrincipleBar]
    bar_left: float
    bar_room: float


@dataclass(frozen=True)
class Pulse:
    """What the pulse page shows for one range."""

    range: str
    by: str  # "week" or "month"
    span: PulseSpan
    periods: list[PulsePeriod]
    ratings: dict[int, int]
    principles: list[tuple[str, int]]
    answers: int
    average: float | None
    chart: TimeChart
    principle_chart: PrincipleChart
    labels: dict[date, str] = field(default_factory=dict)


def offset_minutes(workshop: Workshop, at: datetime | None = None) -> int:
    """Return the workshop's offset from UTC now, in minutes."""
    moment = (at or datetime.now(workshop_zone(workshop))).astimezone(workshop_zone(workshop))
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def today(workshop: Workshop) -> date:
    """Return today's date where the workshop is."""
    return datetime.now(workshop_zone(workshop)).date()


def span_for(
    db: Database, workshop: Workshop, range_name: str, on: date | None = None
) -> tuple[PulseSpan, str]:
    """Return the span of a range ("12w": the last 12 weeks by week, "12m": the last 12
    months by month, "all": since the first feedback, by month) and how it is counted."""
    on = on or today(workshop)
    offset = offset_minutes(workshop)
    if range_name not in PULSE_RANGES:
        range_name = PULSE_RANGES[0]
    if range_name == "12w":
        first = models.week_start(on) - timedelta(weeks=11)
        return PulseSpan(first, models.week_start(on) + timedelta(weeks=1), offset), "week"
    end = models.next_month(on)
    first = date(on.year - 1, on.month, 1)
    first = models.next_month(first)  # 12 months, this one included
    if range_name == "all":
        since = models.first_feedback_day(db, workshop, offset)
        first = min(since.replace(day=1), first) if since else first
    return PulseSpan(first, end, offset), "month"


def period_label(start: date, by: str, short: bool = False) -> str:
    """Say a period in the reader's language: a week by its Monday, a month by its name."""
    if by == "week":
        return format_date(start, "d MMM" if short else "d MMM yyyy")
    return format_date(start, "LLL yy" if short else "LLLL yyyy")


def number(value: float | None, digits: int = 1) -> str:
    """Write a mean rating the reader's way (3,8 in Polish); an em dash for none."""
    if value is None:
        return "—"
    return format_decimal(round(value, digits), format="0." + "0" * digits)


def _nice_ceiling(value: int) -> int:
    """Round a count up to 1, 2 or 5 times a power of ten, for the axis' top."""
    if value <= 4:
        return max(value, 1) if value <= 2 else 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def time_chart(periods: list[PulsePeriod], by: str) -> TimeChart:
    """Lay out the answers per period and the mean rating over the same periods."""
    width, bar_height, line_height = CHART_WIDTH, 200, 220
    left, right = PLOT_LEFT, CHART_WIDTH - PLOT_RIGHT
    top, bar_bottom = 14.0, bar_height - 34.0
    count = max(len(periods), 1)
    band = (right - left) / count
    peak = _nice_ceiling(max((p.answers for p in periods), default=0))
    bars, points, lines, run = [], [], [], []
    for index, period in enumerate(periods):
        x = left + band * index
        height = (bar_bottom - top) * period.answers / peak
        label = period_label(period.start, by)
        bars.append(
            Bar(x + band * 0.15, bar_bottom - height, band * 0.7, height, label, period.answers)
        )
    line_top, line_bottom = 16.0, line_height - 34.0
    for index, period in enumerate(periods):
        if period.average is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        x = left + band * (index + 0.5)
        y = line_bottom - (line_bottom - line_top) * (period.average - 1) / 4
        run.append(f"{x:.1f},{y:.1f}")
        points.append(
            Point(x, y, period_label(period.start, by), number(period.average), period.answers)
        )
    if run:
        lines.append(" ".join(run))
    every = max(1, -(-count // MAX_X_LABELS))
    x_ticks = [
        Tick(left + band * (index + 0.5), period_label(period.start, by, short=True))
        for index, period in enumerate(periods)
        if (count - 1 - index) % every == 0
    ]
    count_ticks = [
        Tick(bar_bottom - (bar_bottom - top) * share, str(round(peak * share)))
        for share in (0, 0.5, 1)
        if share == 0 or round(peak * share) == peak * share
    ]
    rating_ticks = [
        Tick(line_bottom - (line_bottom - line_top) * (rating - 1) / 4, str(rating))
        for rating in FEEDBACK_RATINGS
    ]
    return TimeChart(
        width, bar_height, line_height, left, right, bars, count_ticks, x_ticks,
        rating_ticks, lines, points, bar_bottom, line_top, line_bottom,
    )  # fmt: skip


def principle_chart(principles: list[tuple[str, int]], answers: int) -> PrincipleChart:
    """Lay out how often each principle was felt, most felt first, as horizontal bars."""
    peak = max((felt for _, felt in principles), default=0) or 1
    room = CHART_WIDTH - 80.0  # the count is written after the bar
    bars = [
        PrincipleBar(
            name,
            felt,
            index * PRINCIPLE_ROW,
            room * felt / peak,
            f"{round(100 * felt / answers)} %" if answers else "0 %",
        )
        for index, (name, felt) in enumerate(principles)
    ]
    return PrincipleChart(CHART_WIDTH, max(len(bars), 1) * PRINCIPLE_ROW + 4, bars, 0.0, room)


def pulse(db: Database, workshop: Workshop, range_name: str, on: date | None = None) -> Pulse:
    """Gather the pulse of one range: the periods, ratings, principles and their charts."""
    span, by = span_for(db, workshop, range_name, on)
    periods = models.pulse_periods(db, workshop, span, by)
    ratings = models.pulse_ratings(db, workshop, span)
    answers = sum(ratings.values())
    average = sum(r * n for r, n in ratings.items()) / answers if answers else None
    principles = models.pulse_principles(db, workshop, span)
    return Pulse(
        range_name if range_name in PULSE_RANGES else PULSE_RANGES[0],
        by,
        span,
        periods,
        ratings,
        principles,
        answers,
        average,
        time_chart(periods, by),
        principle_chart(principles, answers),
    )


# The monthly pulse sheet ----------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSheet:
    """One month of the pulse, for the staff room."""

    team: str
    mission: str
    language: str
    month: date
    answers: int
    average: float | None
    previous_answers: int
    previous_average: float | None
    ratings: dict[int, int]
    most_felt: tuple[str, int] | None
    least_felt: tuple[str, int] | None
    comments: list[Feedback]
    chart: TimeChart
    periods: list[PulsePeriod]


def month_span(workshop: Workshop, month: date, months: int = 1) -> PulseSpan:
    """Return the span of ``months`` months ending with ``month``."""
    first = month.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return PulseSpan(first, models.next_month(month), offset_minutes(workshop))


def choose_comments(
    candidates: list[Feedback], count: int = PULSE_SHEET_COMMENTS
) -> list[Feedback]:
    """Choose the sheet's comments from the month's shown ones, newest first: the newest
    with a good rating (4–5), the newest with a bad one (1–2), then the newest of the rest."""
    chosen: list[Feedback] = []
    for wanted in (lambda r: r >= 4, lambda r: r <= 2):
        found = next((c for c in candidates if wanted(c.rating) and c not in chosen), None)
        if found is not None:
            chosen.append(found)
    chosen += [c for c in candidates if c not in chosen][: count - len(chosen)]
    return sorted(chosen[:count], key=lambda c: -c.id)


def month_sheet(db: Database, workshop: Workshop, month: date) -> MonthSheet:
    """Gather the monthly sheet: the month against the months before it, the principles
    most and least felt, three comments (shown ones only: never held or hidden)."""
    span = month_span(workshop, month)
    trend = month_span(workshop, month, PULSE_SHEET_MONTHS)
    periods = models.pulse_periods(db, workshop, trend, "month")
    this, previous = periods[-1], periods[-2] if len(periods) > 1 else None
    principles = models.pulse_principles(db, workshop, span)
    candidates = models.shown_comments_in(db, workshop, span, limit=200)
    return MonthSheet(
        team=workshop.title,
        mission=workshop.mission,
        language=workshop.language,
        month=span.first,
        answers=this.answers,
        average=this.average,
        previous_answers=previous.answers if previous else 0,
        previous_average=previous.average if previous else None,
        ratings=models.pulse_ratings(db, workshop, span),
        most_felt=principles[0] if principles and principles[0][1] else None,
        least_felt=principles[-1] if len(principles) > 1 else None,
        comments=choose_comments(candidates),
        chart=time_chart(periods, "month"),
        periods=periods,
    )


def sheet_months(db: Database, workshop: Workshop) -> list[date]:
    """Return the months a sheet can be made for, newest first: this one back to the
    month of the first feedback."""
    month = today(workshop).replace(day=1)
    since = models.first_feedback_day(db, workshop, offset_minutes(workshop))
    first = since.replace(day=1) if since and since < month else month
    months = [month]
    while months[-1] > first:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months
