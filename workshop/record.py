"""The workshop's record: the whole workshop as plain data (the JSON export), and for
people a PDF report, a spreadsheet (CSV and Excel) and Markdown.

``workshop_record`` gathers the plain record from the models; each function after it takes
that record and needs an app context for translations.
"""

import csv
import datetime
import io
import re
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database
from xlsxwriter import Workbook

from .forms import LEVEL_LABELS
from .models import (
    DRAFT_KINDS,
    Case,
    Round,
    Stage,
    Workshop,
    count_participants,
    get_workshop_by_id,
    list_amendments,
    list_answers,
    list_case_steps,
    list_cases,
    list_drafts,
    list_feedback,
    list_participants,
    list_principles,
    list_rounds,
    list_stages,
    list_themes,
    round_tally,
    tally_feedback,
)
from .poster import render_document
from .zones import local, zone_name

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
# Characters with a meaning anywhere in a Markdown line, and at the start of one.
MARKDOWN_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~#&!])")
MARKDOWN_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


# The plain record ----------------------------------------------------------------------


def round_record(db: Database, round_: Round) -> dict:
    """Return a round with its anonymous answers, for the JSON export."""
    tally = round_tally(db, round_)
    return {
        "id": round_.id,
        "subject": round_.subject,
        "version": round_.version_id,
        "text": round_.snapshot if round_.subject != "principles" else None,
        "principles": [list(p) for p in round_.principles] or None,
        "threshold": round_.threshold,
        "min_answers": round_.min_answers,
        "status": round_.status,
        "outcome": round_.outcome,
        "note": round_.note,
        "opened_at": round_.opened_at,
        "closed_at": round_.closed_at,
        "answered": tally.answered,
        "shown": tally.visible,  # below min_answers: no counts and no reasons, for good
        "answers": [{"level": level, "count": count} for level, count in tally.counts.items()]
        if tally.visible
        else [],
        "reasons": [{"level": level, "reason": reason} for level, reason in tally.reasons],
    }


def workshop_record(db: Database, workshop: Workshop) -> dict:
    """Return the whole workshop as plain data, for the JSON export."""
    fresh = get_workshop_by_id(db, workshop.id) or workshop
    stages = list_stages(db, fresh)
    people = list_participants(db, fresh)
    number = {p.id: index + 1 for index, p in enumerate(people)}
    return {
        "id": fresh.public_id,
        "title": fresh.title,
        "language": fresh.language,
        # Timestamps stay ISO 8601 in UTC; people read them in this zone (IANA name).
        "time_zone": zone_name(fresh),
        "status": fresh.status,
        "created_at": fresh.created_at,
        "cloned_from": fresh.cloned_from,
        "joining_locked": bool(fresh.joining_locked),
        "current_stage": next((s.position for s in stages if s.id == fresh.current_stage_id), None),
        "participants": count_participants(db, fresh),
        "people": [
            {
                "number": number[p.id],
                "name": p.display_name,
                "added_by_facilitator": bool(p.added_by_facilitator),
                "removed": p.removed_at is not None,
            }
            for p in people
        ],
        "stages": [_stage_record(db, stage, number) for stage in stages],
        "mission": {"text": fresh.mission, "agreed_at": fresh.mission_agreed_at},
        "principles": [{"name": p.name, "line": p.line} for p in list_principles(db, fresh)],
        "principles_agreed_at": fresh.principles_agreed_at,
        "routine": {"text": fresh.routine, "agreed_at": fresh.routine_agreed_at},
        "proposals_from_phones": bool(fresh.participants_may_propose),
        "drafts": [
            {
                "id": line.draft.id,
                "kind": line.draft.kind,
                "shown": bool(line.draft.shown),
                "created_at": line.draft.created_at,
                "versions": [
                    {
                        "id": v.id,
                        "number": v.number,
                        "text": v.text,
                        "origin": v.origin,
                        "proposed_by": number.get(v.participant_id)
                        if v.participant_id
                        else "facilitator",
                        "amendment": v.amendment_id,
                        "created_at": v.created_at,
                    }
                    for v in line.versions
                ],
            }
            for kind in DRAFT_KINDS
            for line in list_drafts(db, fresh, kind)
        ],
        "amendments": [
            {
                "id": a.id,
                "draft": a.draft_id,
                "version": a.version_id,
                "text": a.text,
                "suggested_by": number.get(a.participant_id) if a.participant_id else "facilitator",
                "status": a.status,
                "created_at": a.created_at,
                "decided_at": a.decided_at,
                "result_version": a.result_version_id,
            }
            for a in list_amendments(db, fresh)
        ],
        "rounds": [round_record(db, r) for r in reversed(list_rounds(db, fresh))],
        "feedback": feedback_record(db, fresh),
    }


def case_record(db: Database, case: Case) -> dict:
    """Return a case as the record keeps it: when it opened and closed, the fifth step's
    answer, and each step of the routine with its note and who did it."""
    return {
        "id": case.id,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "client_keeps_coming": case.outcome,
        "steps": [
            {
                "position": step.position,
                "done": step.is_done,
                "done_by": step.done_by,
                "done_at": step.done_at,
                "note": step.note,
            }
            for step in list_case_steps(db, case)
        ],
    }


def feedback_record(db: Database, workshop: Workshop) -> dict:
    """Return clients' feedback: the counts, and each answer with its comment, its case
    (when it opened one) and, for the facilitator's JSON only, the contact to call back
    (the CSV leaves it out)."""
    items = list_feedback(db, workshop)
    counts = tally_feedback(items)
    cases = {case.feedback_id: case_record(db, case) for case in list_cases(db, workshop)}
    return {
        "counts": {
            "total": counts.total,
            "ratings": {str(rating): n for rating, n in counts.ratings.items()},
            "principles_felt": counts.principles,
            "call_backs": counts.call_backs,
            "comments": counts.comments,
        },
        "items": [
            {
                "id": item.id,
                "rating": item.rating,
                "principles_felt": item.felt,
                "comment": item.comment,
                "call_back": bool(item.call_back),
                "contact": item.contact,
                "kiosk": bool(item.kiosk),
                "created_at": item.created_at,
                "redacted_at": item.redacted_at,
                "held_for_review": bool(item.held),
                "hidden_at": item.hidden_at,
                "case": cases.get(item.id),
            }
            for item in items
        ],
    }


def _stage_record(db: Database, stage: Stage, number: dict[int, int]) -> dict:
    themes = list_themes(db, stage)
    theme_names = {theme.id: theme.name for theme in themes}
    votes = list(
        db.query(
            """select answer_id, participant_id, entered_by, created_at from votes
               where stage_id = ? order by id""",
            [stage.id],
        )
    )
    return {
        "position": stage.position,
        "kind": stage.kind,
        "title": stage.title,
        "prompt": stage.prompt,
        "input_open": bool(stage.input_open),
        "answers_hidden": bool(stage.answers_hidden),
        "screen_view": stage.screen_view,
        "voting": {
            "state": stage.voting,
            "budget": stage.vote_budget,
            "one_dot_per_answer": bool(stage.one_dot_per_answer),
            "results_revealed": bool(stage.results_revealed),
        },
        "timer": {
            "seconds": stage.timer_seconds,
            "ends_at": stage.timer_ends_at,
            "close_on_expiry": bool(stage.close_on_expiry),
        },
        "themes": [{"id": t.id, "name": t.name, "position": t.position} for t in themes],
        "answers": [
            {
                "id": c.id,
                "body": c.body,
                "detail": c.detail,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "entered_by": c.entered_by,
                "author": number.get(c.participant_id),
                "moderation": c.moderation,
                "original_body": c.original_body,
                "original_detail": c.original_detail,
                "merged_into": c.merged_into,
                "theme": theme_names.get(c.theme_id),
            }
            for c in list_answers(db, stage)
        ],
        "votes": [
            {
                "answer": v["answer_id"],
                "voter": number.get(v["participant_id"]),
                "entered_by": v["entered_by"],
                "created_at": v["created_at"],
            }
            for v in votes
        ],
    }


# For people: CSV, Markdown, PDF --------------------------------------------------------


def neutralise_cell(value: object) -> object:
    """Prefix a text cell a spreadsheet would run as a formula with ``'``; keep numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown would read as formatting, links, HTML or structure."""
    lines = []
    for line in text.splitlines() or [""]:
        line = MARKDOWN_ANYWHERE.sub(r"\\\1", line)
        match = MARKDOWN_LINE_START.match(line)
        if match:
            start = match.end()
            if match.group(2)[0].isdigit():  # "1." or "1)" would start a numbered list
                line = line[:start] + "\\" + line[start:]
            else:
                line = line[: match.start(2)] + "\\" + line[match.start(2) :]
        lines.append(line)
    return "\n".join(lines)


def moment(stamp: str | None, zone: str) -> str:
    """Show a stored UTC timestamp as a short date and time in ``zone`` (the record's)."""
    if not stamp:
        return ""
    return format_datetime(local(stamp, ZoneInfo(zone)), "short", rebase=False)


def _sortable_moment(stamp: str | None, zone: str) -> str:
    if not stamp:
        return ""
    return local(stamp, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def moderation_label(mark: str) -> str:
    """Name an answer's moderation mark."""
    labels = {
        "visible": gettext("shown"),
        "hidden": gettext("hidden by the facilitator"),
        "flagged": gettext("held for review"),
    }
    return labels.get(mark, mark)


def entered_by_label(entered_by: str) -> str:
    """Say who typed an answer or gave a dot."""
    if entered_by == "facilitator":
        return gettext("the facilitator, for a person without a phone")
    if entered_by == "client":
        return gettext("a client's feedback, brought from the year before")
    return gettext("a phone")


def subject_label(subject: str) -> str:
    """Name what a consensus round decided on."""
    labels = {
        "mission": gettext("the mission"),
        "principles": gettext("the principles"),
        "routine": gettext("the routine"),
    }
    return labels.get(subject, subject)


def outcome_label(round_: dict) -> str:
    """Say how a consensus round ended."""
    if round_["status"] == "open":
        return gettext("still open")
    labels = {
        "agreed": gettext("agreed"),
        "overridden": gettext("agreed by decision"),
        "withdrawn": gettext("withdrawn"),
        "not-agreed": gettext("not agreed"),
    }
    return labels.get(round_["outcome"] or "", gettext("not agreed"))


def origin_label(version: dict) -> str:
    """Say who wrote a version of a draft."""
    who = version["proposed_by"]
    person = gettext("the facilitator") if who == "facilitator" else _person(who)
    if version["origin"] == "amendment":
        return gettext("a suggested change by %(who)s", who=person)
    return person


def amendment_status_label(status: str) -> str:
    """Name what became of a suggested change."""
    labels = {
        "pending": gettext("waiting"),
        "accepted": gettext("accepted"),
        "declined": gettext("declined"),
    }
    return labels.get(status, status)


def _person(number: object) -> str:
    return gettext("person %(num)s", num=number) if number else gettext("a participant")


def stages_with_answers(record: dict) -> list[dict]:
    """Return each stage with its answers, each answer with its dots, theme and merge."""
    stages = []
    for number, stage in enumerate(record["stages"], start=1):
        votes: dict[int, int] = {}
        for vote in stage["votes"]:
            votes[vote["answer"]] = votes.get(vote["answer"], 0) + 1
        answers = [{**answer, "votes": votes.get(answer["id"], 0)} for answer in stage["answers"]]
        stages.append({**stage, "number": number, "answers": answers})
    return stages


def hidden_tally_line(min_answers: int) -> str:
    """Say why a round's counts and reasons are not shown: too few answered to stay anonymous."""
    return ngettext(
        "Fewer than %(num)d person answered, so the counts and reasons stay hidden.",
        "Fewer than %(num)d people answered, so the counts and reasons stay hidden.",
        min_answers,
    )


def rounds_with_results(record: dict) -> list[dict]:
    """Return each consensus round with its level labels and the draft version it decided."""
    versions = {
        version["id"]: (draft_number, version["number"])
        for kind in ("mission", "routine")
        for draft_number, draft in enumerate(
            (d for d in record["drafts"] if d["kind"] == kind), start=1
        )
        for version in draft["versions"]
    }
    rounds = []
    for number, round_ in enumerate(record["rounds"], start=1):
        answers = [
            {"label": str(LEVEL_LABELS[a["level"]]), "count": a["count"]} for a in round_["answers"]
        ]
        reasons = [
            {"label": str(LEVEL_LABELS[r["level"]]), "reason": r["reason"]}
            for r in round_["reasons"]
        ]
        answered = round_.get("answered", sum(a["count"] for a in round_["answers"]))
        rounds.append(
            {
                **round_,
                "number": number,
                "draft_version": versions.get(round_["version"]),
                "results": answers,
                "reason_list": reasons,
                "answered": answered,
            }
        )
    return rounds


def routine_steps(record: dict) -> list[str]:
    """Return the agreed routine's steps, or none when it was not agreed."""
    if not record["routine"]["agreed_at"]:
        return []
    return [line.strip() for line in record["routine"]["text"].splitlines() if line.strip()]


# CSV -------------------------------------------------------------------------------------


def answers_as_csv(record: dict) -> str:
    """Return one spreadsheet row per answer, UTF-8 with a BOM so Excel reads the letters.

    Cells that a spreadsheet would run as formulas are neutralised.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in answer_rows(record):
        writer.writerow([neutralise_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def answers_as_xlsx(record: dict) -> bytes:
    """Return the same rows as the CSV as an Excel workbook, which opens right in every
    locale (a Polish Excel expects ``;`` in a CSV it opens by double-click).

    Every text is written as a text cell, so nothing runs as a formula and nothing needs
    the CSV's neutralising quote; numbers are numbers.
    """
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    with Workbook(buffer, options) as workbook:
        created = datetime.datetime.fromisoformat(record["created_at"]).replace(tzinfo=None)
        workbook.set_properties({"title": record["title"], "created": created})
        sheet = workbook.add_worksheet(gettext("Answers")[:31])
        bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
        rows = answer_rows(record)
        for number, row in enumerate(rows):
            for column, cell in enumerate(row):
                if isinstance(cell, int):
                    sheet.write_number(number, column, cell, wrapped)
                else:
                    text = "" if cell is None else str(cell)
                    sheet.write_string(number, column, text, bold if not number else wrapped)
        for column, width in enumerate(XLSX_WIDTHS):
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(rows) - 1, len(rows[0]) - 1)
    return buffer.getvalue()


# Column widths in characters: stage, no., answer, detail, dots, theme, merged, moderation,
# first wording, entered by, created.
XLSX_WIDTHS = (24, 8, 48, 40, 7, 18, 10, 22, 40, 16, 17)


def answer_rows(record: dict) -> list[list[str | int]]:
    """Return the spreadsheet's header and one row per answer, as they are (not neutralised)."""
    rows: list[list[str | int]] = [
        [
            gettext("Stage"),
            gettext("Answer no."),
            gettext("Answer"),
            gettext("How it shows in daily work"),
            gettext("Dots"),
            gettext("Theme"),
            gettext("Merged into answer no."),
            gettext("Moderation"),
            gettext("First wording"),
            gettext("Entered by"),
            gettext("Created"),
        ]
    ]
    for stage in stages_with_answers(record):
        for answer in stage["answers"]:
            first = first_wording(answer)
            row = [
                f"{stage['number']}. {stage['title']}",
                answer["id"],
                answer["body"],
                answer["detail"],
                answer["votes"],
                answer["theme"] or "",
                answer["merged_into"] or "",
                moderation_label(answer["moderation"]),
                first or "",
                entered_by_label(answer["entered_by"]),
                _sortable_moment(answer["created_at"], record["time_zone"]),
            ]
            rows.append(row)
    rows.extend(feedback_rows(record))
    return rows


# A case in one line of the table: open, or closed with the fifth step's answer.
_CASE_STATES = {
    None: _l("Case open"),
    "yes": _l("Case closed: the client keeps coming"),
    "no": _l("Case closed: the client does not come back"),
    "unknown": _l("Case closed: not known yet whether the client comes back"),
}


def feedback_rows(record: dict) -> list[list[str | int]]:
    """Return a row per client's feedback, in the answers' columns: the comment as the
    answer, the rating and the principles felt as its detail. Never the contact."""
    rows: list[list[str | int]] = []
    for item in record.get("feedback", {}).get("items", []):
        detail = [gettext("Rating: %(num)d of 5", num=item["rating"])]
        if item["principles_felt"]:
            felt = ", ".join(item["principles_felt"])
            detail.append(gettext("Felt: %(principles)s", principles=felt))
        if item["call_back"]:
            detail.append(gettext("Asked to be called back"))
        case = item.get("case")
        if case is not None:
            outcome = case["client_keeps_coming"] if case["closed_at"] else None
            detail.append(str(_CASE_STATES[outcome]))
        rows.append(
            [
                gettext("Clients' feedback"),
                item["id"],
                item["comment"],
                " · ".join(detail),
                "",
                "",
                "",
                "",
                "",
                gettext("Kiosk") if item["kiosk"] else gettext("Client"),
                _sortable_moment(item["created_at"], record["time_zone"]),
            ]
        )
    return rows


def first_wording(answer: dict) -> str | None:
    """Return how an answer read before the facilitator reworded it, its detail after a
    dash, or None when it was never reworded. The spreadsheet, Markdown and report share it."""
    first = answer["original_body"]
    if answer["original_detail"]:
        first = f"{first or answer['body']} — {answer['original_detail']}"
    return first


# Markdown --------------------------------------------------------------------------------


def _markdown_item(text: str, marker: str = "-") -> str:
    """Return a list item whose continuation lines stay inside the item."""
    indent = " " * (len(marker) + 1)
    return f"{marker} " + escape_markdown(text).replace("\n", "\n" + indent)


def record_as_markdown(record: dict) -> str:
    """Return the whole workshop as Markdown: the outcome, every stage, drafts and rounds."""
    md = escape_markdown
    out = [f"# {md(record['title'])}", ""]
    created = moment(record["created_at"], record["time_zone"])
    people = record["participants"]
    out += [
        ngettext(
            "Workshop record · created %(date)s · %(num)d person",
            "Workshop record · created %(date)s · %(num)d people",
            people,
            date=created,
        ),
        "",
        md(gettext("Times are in the %(zone)s time zone.", zone=record["time_zone"])),
        "",
    ]
    out += _markdown_outcome(record)
    out += ["## " + gettext("Stages"), ""]
    for stage in stages_with_answers(record):
        out += [f"### {stage['number']}. {md(stage['title'])}", ""]
        if stage["prompt"]:
            out += [md(stage["prompt"]), ""]
        if stage["themes"]:
            names = ", ".join(md(theme["name"]) for theme in stage["themes"])
            out += [gettext("Themes: %(names)s", names=names), ""]
        for answer in stage["answers"]:
            out.append(_markdown_item(f"#{answer['id']} {answer['body']}"))
            notes = _answer_notes(answer)
            if answer["detail"]:
                out.append("  " + _markdown_item(answer["detail"], "-").replace("\n", "\n  "))
            if notes:
                out.append("  " + _markdown_item(" · ".join(notes)).replace("\n", "\n  "))
        if stage["answers"]:
            out.append("")
    out += _markdown_agreement(record)
    return "\n".join(out).rstrip() + "\n"


def _answer_notes(answer: dict) -> list[str]:
    """Say what happened to an answer: dots, theme, merge, moderation, first wording."""
    notes = [ngettext("%(num)d dot", "%(num)d dots", answer["votes"])]
    if answer["theme"]:
        notes.append(gettext("theme: %(name)s", name=answer["theme"]))
    if answer["merged_into"]:
        notes.append(gettext("merged into #%(num)d", num=answer["merged_into"]))
    if answer["moderation"] != "visible":
        notes.append(moderation_label(answer["moderation"]))
    first = first_wording(answer)
    if first is not None:
        notes.append(gettext("first wording: %(text)s", text=first))
    if answer["entered_by"] == "facilitator":
        notes.append(gettext("entered by the facilitator"))
    elif answer["entered_by"] == "client":
        notes.append(gettext("from a client's feedback"))
    return notes


def _markdown_outcome(record: dict) -> list[str]:
    md = escape_markdown
    out = ["## " + gettext("What the team agreed"), ""]
    mission = record["mission"]
    if mission["agreed_at"]:
        date = moment(mission["agreed_at"], record["time_zone"])
        out += ["### " + gettext("Mission (agreed %(date)s)", date=date)]
    else:
        out += ["### " + gettext("Mission (not agreed yet)")]
    out += ["", *_markdown_quote(mission["text"] or "—"), ""]
    if record["principles"]:
        out += ["### " + gettext("Principles"), ""]
        for number, principle in enumerate(record["principles"], start=1):
            line = f" — {md(principle['line'])}" if principle["line"] else ""
            out.append(f"{number}. **{md(principle['name'])}**{line}")
        out.append("")
    steps = routine_steps(record)
    if steps:
        out += ["### " + gettext("Trust-recovery routine"), ""]
        out += [_markdown_item(step, f"{n}.") for n, step in enumerate(steps, start=1)]
        out.append("")
    return out


def _markdown_agreement(record: dict) -> list[str]:
    md = escape_markdown
    zone = record["time_zone"]
    out: list[str] = []
    if record["drafts"]:
        out += ["## " + gettext("Drafts and versions"), ""]
        for title, draft in _draft_titles(record):
            out += [f"### {md(title)}", ""]
            for version in draft["versions"]:
                head = gettext(
                    "Version %(num)d, %(who)s, %(date)s",
                    num=version["number"],
                    who=origin_label(version),
                    date=moment(version["created_at"], zone),
                )
                routine = draft["kind"] == "routine"
                out += [f"- {md(head)}", "", *_markdown_quote(version["text"], routine, "  ")]
                out.append("")
    if record["amendments"]:
        out += ["## " + gettext("Suggested changes"), ""]
        for amendment in record["amendments"]:
            when = moment(amendment["created_at"], zone)
            head = f"{_person(amendment['suggested_by'])}, {when}"
            status = amendment_status_label(amendment["status"])
            out.append(_markdown_item(f"{head} ({status}): {amendment['text']}"))
        out.append("")
    if record["rounds"]:
        out += ["## " + gettext("Consensus rounds"), ""]
        for round_ in rounds_with_results(record):
            out += _markdown_round(round_, zone)
    return out


def _markdown_quote(text: str, routine: bool = False, indent: str = "") -> list[str]:
    """Return a wording as a Markdown quote whose lines stay apart: a routine's steps as a
    numbered list, other lines ended by hard breaks, blank lines as new paragraphs."""
    lines = [line.strip() for line in text.splitlines()]
    if routine:
        steps = [line for line in lines if line]
        body = [_markdown_item(step, f"{n}.") for n, step in enumerate(steps, start=1)]
    else:
        body = []
        for line, following in zip(lines, [*lines[1:], ""], strict=True):
            hard_break = "\\" if line and following else ""
            body.append(escape_markdown(line) + hard_break)
    return [f"{indent}> {line}".rstrip() for line in body or ["—"]]


def _draft_titles(record: dict) -> list[tuple[str, dict]]:
    titles = []
    counters = {"mission": 0, "routine": 0}
    for draft in record["drafts"]:
        counters[draft["kind"]] = counters.get(draft["kind"], 0) + 1
        if draft["kind"] == "routine":
            titles.append((gettext("Routine, draft %(num)d", num=counters["routine"]), draft))
        else:
            titles.append((gettext("Mission, draft %(num)d", num=counters["mission"]), draft))
    return titles


def _markdown_round(round_: dict, zone: str) -> list[str]:
    md = escape_markdown
    title = gettext(
        "Round %(num)d: %(subject)s — %(outcome)s",
        num=round_["number"],
        subject=subject_label(round_["subject"]),
        outcome=outcome_label(round_),
    )
    out = [f"### {md(title)}", ""]
    out.append(
        "- "
        + md(
            gettext(
                "Opened %(date)s; agreed at %(share)d %% or more at “can live with it” or "
                "better, with no block; %(num)d answered.",
                date=moment(round_["opened_at"], zone),
                share=round_["threshold"],
                num=round_["answered"],
            )
        )
    )
    if round_["text"]:
        out += ["- " + md(gettext("Wording:")), ""]
        out += [*_markdown_quote(round_["text"], round_["subject"] == "routine", "  "), ""]
    for name, line in round_["principles"] or []:
        out.append("- " + md(f"{name} — {line}"))
    if not round_.get("shown", True):
        out.append("- " + md(hidden_tally_line(round_["min_answers"])))
    for result in round_["results"]:
        out.append(f"- {md(result['label'])}: {result['count']}")
    for reason in round_["reason_list"]:
        out.append(_markdown_item(f"{reason['label']}: {reason['reason']}"))
    if round_["note"]:
        out.append(_markdown_item(gettext("Note: %(note)s", note=round_["note"])))
    return [*out, ""]


# The PDF report --------------------------------------------------------------------------


def report_context(record: dict) -> dict[str, Any]:
    """Return what the report template shows, worked out from the record."""
    return {
        "record": record,
        "stages": stages_with_answers(record),
        "rounds": rounds_with_results(record),
        "drafts": _draft_titles(record),
        "routine": routine_steps(record),
        "moment": partial(moment, zone=record["time_zone"]),
        "moderation_label": moderation_label,
        "first_wording": first_wording,
        "origin_label": origin_label,
        "subject_label": subject_label,
        "outcome_label": outcome_label,
        "amendment_status_label": amendment_status_label,
        "hidden_tally_line": hidden_tally_line,
        "person": _person,
    }


def record_as_report_html(record: dict) -> str:
    """Return the report's HTML (escaped like every page)."""
    return render_template("report/report.html", **report_context(record))


def report_stylesheet() -> Path:
    """Return the report's stylesheet."""
    return Path(current_app.static_folder or "static") / "report" / "report.css"


def record_as_report_pdf(record: dict) -> bytes:
    """Return the whole workshop as a readable, tagged PDF report."""
    return render_document(record_as_report_html(record), report_stylesheet())
