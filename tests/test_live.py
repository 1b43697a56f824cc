"""The SSE stream: what changed reaches every listener, and a reconnect catches up."""

import itertools
import threading
import time

from workshop import models
from workshop.hub import Topic, event_stream, frames, get_hub
from workshop.rules import LIVE_PACE_SECONDS

from .conftest import HX


def read_until(chunks, needle: bytes, limit: int = 40) -> bytes:
    """Read stream chunks until ``needle`` shows up (heartbeats keep this bounded)."""
    seen = b""
    for chunk in itertools.islice(chunks, limit):
        seen += chunk
        if needle in seen:
            break
    return seen


def test_stream_refuses_strangers(client, workshop):
    assert client.get(f"/w/{workshop.public_id}/live").status_code == 404
    assert client.get(f"/w/{workshop.public_id}/live?k=wrong").status_code == 404


def test_screen_stream_announces_a_phone_answer(client, phone, workshop):
    response = client.get(f"/w/{workshop.public_id}/live?k={workshop.screen_token}")
    assert response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    chunks = response.iter_encoded()
    assert next(chunks).startswith(b"retry:")
    poster = threading.Thread(
        target=phone.post,
        args=(f"/w/{workshop.public_id}/answers",),
        kwargs={"data": {"body": "Dla pacjentów"}, "headers": HX},
    )
    poster.start()
    seen = read_until(chunks, b"event: answers-changed")
    poster.join()
    response.close()
    assert b"event: answers-changed" in seen
    assert b"id: " in seen


def test_reconnect_with_last_event_id_replays_what_was_missed(
    client, phone, workshop, db, facilitator
):
    start = models.latest_event_id(db, workshop)
    phone.post(f"/w/{workshop.public_id}/answers", data={"body": "jeden"})
    facilitator.post(f"/w/{workshop.public_id}/stage/next")
    response = client.get(
        f"/w/{workshop.public_id}/live?k={workshop.screen_token}",
        headers={"Last-Event-ID": str(start)},
    )
    seen = read_until(response.iter_encoded(), b"event: stage-changed")
    response.close()
    assert b"event: answers-changed" in seen
    assert b"event: stage-changed" in seen


def test_frames_say_each_kind_once_with_the_newest_id_last():
    text = frames([(5, "answers-changed"), (6, "stage-changed"), (7, "answers-changed")])
    assert text == (
        "id: 6\nevent: stage-changed\ndata: 6\n\nid: 7\nevent: answers-changed\ndata: 7\n\n"
    )


def test_topic_reports_a_gap_when_events_fell_out_of_its_ring():
    topic = Topic(high=0)
    topic.publish([(n, "answers-changed") for n in range(1, 600)])
    assert topic.wait_after(0, timeout=0) is None
    assert [event[0] for event in topic.wait_after(597, timeout=0)] == [598, 599]


def publish_one_by_one(topic: Topic, events: list[tuple[int, str]]) -> threading.Thread:
    """Publish ``events`` a few hundredths of a second apart, as a room's answers come."""

    def run() -> None:
        for event in events:
            time.sleep(0.03)
            topic.publish([event])

    publisher = threading.Thread(target=run)
    publisher.start()
    return publisher


def test_a_paced_stream_gathers_what_changes_while_it_rests_into_one_frame(app, workshop, db):
    hub = get_hub(app)
    high = models.latest_event_id(db, workshop)
    topic = hub.topic(workshop.id)
    later = ["answers-changed", "stage-changed", "answers-changed"]  # one by one, after the first

    def second_frame(pace: float, first: int) -> str:
        stream = event_stream(app.config["DATABASE"], hub, workshop.id, first - 1, 5.0, pace)
        assert next(stream).startswith("retry:")
        assert next(stream) == frames([(first, "answers-changed")])
        publisher = publish_one_by_one(
            topic, [(first + n, kind) for n, kind in enumerate(later, start=1)]
        )
        frame = next(stream)
        publisher.join()
        return frame

    topic.publish([(high + 1, "answers-changed")])
    assert second_frame(0.0, high + 1) == frames([(high + 2, "answers-changed")])
    topic.publish([(high + 5, "answers-changed")])
    assert second_frame(0.5, high + 5) == frames(
        [(high + 7, "stage-changed"), (high + 8, "answers-changed")]
    )


def test_the_screen_and_the_control_page_rest_between_frames_and_phones_do_not():
    assert LIVE_PACE_SECONDS["participant"] == 0
    assert 0 < LIVE_PACE_SECONDS["screen"] <= 0.5
    assert 0 < LIVE_PACE_SECONDS["facilitator"] <= 0.5
