"""The projector shows every answer of a real room in full: fitted first, then paged.

A room of 40 (10 answers of 280 characters) at the four projector sizes. For every answer,
theme card, ranked result and frequent word the test turns the pages from the
facilitator's page and asserts that at some moment the item lies fully inside the window,
is cut by no ancestor, clamped nowhere and set no smaller than 2 % of the window's height.
Screenshots of each page at each size land in tests/artifacts/projector/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from workshop import models

from . import volume
from .test_room import LIVE

SIZES = ((1920, 1080), (1366, 768), (1280, 720), (1024, 768))
SMALLEST = 0.02  # of the window's height
RESULTS = "[data-pages=screen-results]"

# For the items on the page shown: which are shown whole, and why the others are not.
SHOWN = """([selector, smallest]) => {
  const box = document.querySelector(selector);
  const height = innerHeight, width = innerWidth;
  const shown = [], problems = [];
  const outside = (r, a) => r.top < a.top - 1 || r.bottom > a.bottom + 1 ||
    r.left < a.left - 1 || r.right > a.right + 1;
  for (const item of box.children) {
    if (item.classList.contains('off-page') || item.hidden) continue;
    const why = [];
    const r = item.getBoundingClientRect();
    if (!r.width || !r.height) why.push('no size');
    if (outside(r, {top: 0, left: 0, bottom: height, right: width})) why.push('off the window');
    for (let a = item.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      const clips = s.overflowX !== 'visible' || s.overflowY !== 'visible' || s.clipPath !== 'none';
      if (clips && outside(r, a.getBoundingClientRect())) why.push('cut by ' + a.className);
    }
    for (const el of [item, ...item.querySelectorAll('*')]) {
      if (el.closest('.visually-hidden')) continue;
      const s = getComputedStyle(el);
      if (s.webkitLineClamp && s.webkitLineClamp !== 'none') why.push('line-clamped');
      if (s.textOverflow === 'ellipsis') why.push('ellipsis');
      if (s.visibility === 'hidden' || s.display === 'none' || parseFloat(s.opacity) < 1) {
        why.push('hidden part');
      }
      if (s.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1) why.push('clipped');
      if (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) why.push('clipped');
    }
    const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
      const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
      if (size < smallest * height - 0.5) why.push('type ' + size + 'px');
      const range = document.createRange();
      range.selectNodeContents(node);
      const slack = 0.25 * size;  // glyph boxes stand a little above and below a line box
      for (const line of range.getClientRects()) {
        const grown = {top: r.top - slack, bottom: r.bottom + slack, left: r.left, right: r.right};
        if (outside(line, grown)) why.push('text outside its card');
      }
    }
    const text = (item.querySelector('.card-text, .result-text') || item).textContent.trim();
    if (why.length) problems.push(text.slice(0, 50) + ': ' + [...new Set(why)].join(', '));
    else shown.push(text);
  }
  return {shown, problems, page: +box.dataset.page, count: +box.dataset.pageCount,
          size: getComputedStyle(box).fontSize};
}"""


def seen_in_full(screen: Page, facilitator: Page, selector: str, shots: str, artifacts) -> set:
    """Turn every page of the list at ``selector``; return the texts shown whole."""
    box = screen.locator(selector)
    width, height = screen.viewport_size["width"], screen.viewport_size["height"]
    expect(box).to_have_attribute("data-fitted-for", f"{width}x{height}", timeout=LIVE)
    first = screen.evaluate(SHOWN, [selector, SMALLEST])
    seen: set[str] = set()
    problems: list[str] = []
    state = first
    for turn in range(first["count"]):
        seen.update(state["shown"])
        problems += [f"page {state['page']}: {p}" for p in state["problems"]]
        folder = artifacts / "projector"
        folder.mkdir(exist_ok=True)
        screen.screenshot(
            path=str(folder / f"{shots}-{width}x{height}-page{state['page']}.png"), caret="initial"
        )
        if turn == first["count"] - 1:
            break
        facilitator.locator("#screen-pages form[action$='/next'] button").click()
        expect(box).not_to_have_attribute("data-page", str(state["page"]), timeout=LIVE)
        state = screen.evaluate(SHOWN, [selector, SMALLEST])
    assert not problems, f"{shots} at {width}x{height} ({first['size']}):\n" + "\n".join(problems)
    if first["count"] > 1:
        expect(screen.locator("#screen-pages-status")).to_have_text(
            re.compile(rf"^Strona \d+ z {first['count']}$")
        )
    return seen


def hold_pages(screen: Page, facilitator: Page) -> None:
    """Pause the pages from the control page, so only the test turns them."""
    facilitator.locator("#screen-pages form[action$='/pause'] button").click()
    held = screen.locator("#screen-pages-state")
    expect(held).to_have_attribute("data-paused", "1", timeout=LIVE)


@pytest.fixture
def full_room(room, new_workshop, server):
    """A workshop with 40 people and 40 answers (10 long) on its first question."""
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop)
    stage = volume.stage_of_kind(db, workshop, "question")
    answers = volume.fill_question(db, workshop, stage, people)
    volume.move_to(db, workshop, stage)
    facilitator = room.open(made.facilitator_url, "laptop", "facilitator")
    screen = room.open(made.screen_url, "screen", "screen")
    hold_pages(screen, facilitator)
    yield db, volume.fresh(db, workshop), stage, people, answers, screen, facilitator
    db.close()


def texts(answers) -> set[str]:
    return {answer.body for answer in answers}


def test_every_answer_shows_in_full_at_every_projector_size(full_room, artifacts):
    db, workshop, stage, people, answers, screen, facilitator = full_room
    cards = screen.locator("[data-pages=screen-cards] > .screen-card")
    expect(cards).to_have_count(40, timeout=LIVE)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        seen = seen_in_full(screen, facilitator, "[data-pages=screen-cards]", "answers", artifacts)
        assert texts(answers) <= seen, texts(answers) - seen
        # The frequent words run under the question, whole.
        strip = screen.evaluate(SHOWN, ["#screen-main .word-strip", SMALLEST])
        assert not strip["problems"] and strip["shown"], strip


def test_the_frequent_words_stay_whole_during_voting(full_room, artifacts):
    db, workshop, stage, people, answers, screen, facilitator = full_room
    models.open_voting(db, workshop, stage, budget=3)
    expect(screen.locator("#screen-votes")).to_be_visible(timeout=LIVE)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        strip = screen.locator("#screen-main .word-strip .word")
        expect(strip).not_to_have_count(0)
        words = screen.evaluate(SHOWN, ["#screen-main .word-strip", SMALLEST])
        assert not words["problems"], words["problems"]
        assert len(words["shown"]) == strip.count() + 1  # and the label
        seen = seen_in_full(screen, facilitator, "[data-pages=screen-cards]", "voting", artifacts)
        assert texts(answers) <= seen


def test_every_theme_and_card_shows_in_full(full_room, artifacts):
    db, workshop, stage, people, answers, screen, facilitator = full_room
    volume.group_into_themes(db, workshop, stage, answers)
    expect(screen.locator("[data-pages=screen-themes] .theme-title")).to_have_count(4, timeout=LIVE)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        seen = seen_in_full(screen, facilitator, "[data-pages=screen-themes]", "themes", artifacts)
        assert texts(answers) <= seen, texts(answers) - seen
        assert {"Bezpieczeństwo 10", "Czas i uwaga 10", "Rodzina 10", "Jeszcze bez tematu 10"} <= {
            re.sub(r"\s+", " ", text) for text in seen
        }


def test_every_result_shows_in_full_ties_included(full_room, artifacts):
    db, workshop, stage, people, answers, screen, facilitator = full_room
    volume.vote_with_tie(db, workshop, stage, people, answers)
    results = screen.locator("[data-pages=screen-results] > .result")
    expect(results).to_have_count(40, timeout=LIVE)
    expect(results.locator(".result-place").filter(has_text=re.compile(r"^3$"))).to_have_count(2)
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        seen = seen_in_full(screen, facilitator, RESULTS, "results", artifacts)
        assert texts(answers) <= seen, texts(answers) - seen


def test_the_word_cloud_shows_every_word(full_room, artifacts):
    db, workshop, stage, people, answers, screen, facilitator = full_room
    models.set_screen_view(db, workshop, volume.fresh_stage(db, workshop, stage), "words")
    words = screen.locator("[data-pages=screen-words] > .word")
    expect(words).not_to_have_count(0, timeout=LIVE)
    expected = {text.split(" (")[0] for text in words.all_text_contents()}
    for width, height in SIZES:
        screen.set_viewport_size({"width": width, "height": height})
        seen = seen_in_full(screen, facilitator, "[data-pages=screen-words]", "cloud", artifacts)
        assert expected <= {text.split(" (")[0] for text in seen}


def test_pages_turn_by_themselves_unless_held(room, new_workshop, server, artifacts):
    made = new_workshop()
    db = volume.open_db(server)
    workshop = volume.get_workshop(db, made.id)
    people = volume.add_people(db, workshop)
    stage = volume.stage_of_kind(db, workshop, "question")
    volume.fill_question(db, workshop, stage, people)
    volume.move_to(db, workshop, stage)
    db.close()
    facilitator = room.open(made.facilitator_url, "laptop", "facilitator")
    screen = room.open(made.screen_url, "screen", "screen")
    screen.clock.install()  # the page's own clock, moved on by the test: no waiting
    screen.reload()
    box = screen.locator("[data-pages=screen-cards]")
    expect(box).to_have_attribute("data-fitted-for", "1920x1080", timeout=LIVE)
    count = int(box.get_attribute("data-page-count"))
    assert count > 1
    expect(box).to_have_attribute("data-page", "1")
    screen.clock.run_for(9_000)
    expect(box).to_have_attribute("data-page", "1")  # 10 s at least to read a page
    screen.clock.run_for(12_000)
    expect(box).to_have_attribute("data-page", "2")
    expect(screen.locator("#screen-pages-status")).to_have_text(f"Strona 2 z {count}")

    hold_pages(screen, facilitator)
    screen.clock.run_for(60_000)
    expect(box).to_have_attribute("data-page", "2")
    screen.keyboard.press("ArrowDown")  # the screen's own key turns it on, held or not
    expect(box).to_have_attribute("data-page", "3" if count > 2 else "1")
    facilitator.locator("#screen-pages form[action$='/previous'] button").click()
    expect(box).to_have_attribute("data-page", "2", timeout=LIVE)

    facilitator.locator("#screen-pages form[action$='/resume'] button").click()
    held = screen.locator("#screen-pages-state")
    expect(held).to_have_attribute("data-paused", "0", timeout=LIVE)
    screen.clock.run_for(21_000)
    expect(box).not_to_have_attribute("data-page", "2")
