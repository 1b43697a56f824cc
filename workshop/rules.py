"""Every limit of a workshop, named once: models enforce them, forms and pages show them.

Import a limit from here; never retype its number. Messages that state a limit take it as
a parameter (``%(max)d``), so changing it here changes what every audience reads.
"""

# Joining
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
JOIN_CODE_LENGTH = 6
JOIN_CODE_TYPED_MAX = 9  # as people type it: K7M-2P9, with a space or two
FACILITATOR_SESSION_HOURS = 12
EXPECTED_PEOPLE_RANGE = (1, 500)  # the head count a facilitator may set
# With a head count set, every join up to it gets in at once (a room of 40 behind one
# address in a minute) and every join past it waits for the facilitator. With none set, a
# join waits once UNSET_HEAD_COUNT people are in (more than any clinic team), or when it
# comes in a burst: JOIN_BURST joins within JOIN_BURST_SECONDS.
UNSET_HEAD_COUNT = 60
JOIN_BURST = 30
JOIN_BURST_SECONDS = 10
MAX_WAITING = 100  # phones waiting for approval at once; past it a join is refused
WAITING_SHOWN = 20  # waiting phones the control page lists at once (the rest counted)

# Workshops and their stages
TITLE_MAX = 120  # characters: a team's (workshop's) name
MAX_STAGES = 20
STAGE_TITLE_MAX = 120
STAGE_PROMPT_MAX = 280
PERSON_NAME_MAX = 40  # a phone's display name, or a person added without a phone

# Answers
ANSWER_MAX = 280  # characters, for the answer and its optional line
MAX_ANSWERS_PER_PERSON = 10  # answers per person per question
MAX_ANSWERS_PER_STAGE = 500
MAX_ON_BEHALF_PER_STAGE = 200  # answers the facilitator enters for others, per question
MAX_THEMES_PER_STAGE = 12
THEME_NAME_MAX = 60
DEFAULT_TIMER_MINUTES = 3
TIMER_SECONDS_RANGE = (10, 60 * 60)
TIMER_MINUTES_RANGE = (1, TIMER_SECONDS_RANGE[1] // 60)  # what the facilitator picks

# Dot voting
DEFAULT_VOTE_BUDGET = 3
VOTE_BUDGET_RANGE = (1, 10)

# The mission, the principles, the routine and the rounds that decide them
MISSION_MAX = 1200  # characters of a typed draft
STATEMENT_MAX = MISSION_MAX  # any wording: a draft, a version, an amendment
BUILDER_PART_MAX = 200  # each of the statement builder's three slots
MISSION_WORDS = (5, 120)  # the poster's mission, in words (word_count)
PRINCIPLE_COUNT = (3, 12)  # principles a poster holds, and a round may decide
MAX_PRINCIPLES = PRINCIPLE_COUNT[1]
PRINCIPLE_NAME_MAX = 40
PRINCIPLE_LINE_MAX = 160
ROUTINE_STEPS = 5
ROUTINE_STEP_MAX = 160
MAX_DRAFTS = 30
MAX_PHONE_DRAFTS = 20  # of MAX_DRAFTS: phones' proposals leave the facilitator room for 10
MAX_DRAFTS_PER_PERSON = 3  # drafts one phone may propose
MAX_PENDING_AMENDMENTS_PER_PERSON = 5  # one phone's changes waiting for the facilitator
MAX_PENDING_AMENDMENTS = 200  # changes waiting in a workshop, from all phones
PENDING_AMENDMENTS_SHOWN = 10  # per draft on the control page; the next show as these go
REASON_MAX = 280  # a round answer's reason
OVERRIDE_NOTE_MAX = 500
DEFAULT_THRESHOLD = 75  # % at "can live with it" or better
THRESHOLD_RANGE = (50, 100)
DEFAULT_MIN_ANSWERS = 3
MIN_ANSWERS_RANGE = (1, 20)

# The poster and the staff card
CITY_MAX = 60
READING_DISTANCES_M = (1.0, 1.5, 2.0, 3.0, 4.0)  # where the poster will hang, from its reader
DEFAULT_READING_DISTANCE_M = 2.0  # a waiting room
SIGNATURE_MAX = 80  # who signs the poster's footer: "Zespół Przychodni"
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PX = 1200
LOGO_MAX_PIXELS = 40_000_000  # decoded size we agree to open (a 2 MB PNG can hold far more)
# Larger logos are decoded at a reduced size (a JPEG by its scale, an 8-bit PNG a band of
# rows at a time) so one upload takes tens of megabytes, not hundreds; any other image
# over it (an interlaced or 16-bit PNG) is refused.
LOGO_WHOLE_MAX_PIXELS = 8_000_000
CARD_MAX_STEPS = 12  # a staff card's routine steps
POSTER_MAX_CHARACTERS = 6000  # well above the form limits; stops absurd input before layout

# The workshop's record
RECORD_PDF_MAX_ANSWERS = 1000  # a PDF report past this is refused (CSV, Markdown, JSON stay)

# Clients' feedback after a visit (/c/<token>)
FEEDBACK_RATINGS = (1, 2, 3, 4, 5)  # 1: very bad … 5: very good
FEEDBACK_COMMENT_MAX = 500  # characters of "what could we do better?"
FEEDBACK_CONTACT_MAX = 120  # a phone number or an e-mail address
FEEDBACK_MIN_FILL_SECONDS = 3  # a form sent sooner after it was shown is a robot's
FEEDBACK_FORM_MAX_HOURS = 12  # a form shown longer ago is drawn afresh
FEEDBACK_LIMIT_DEVICE = 5  # feedback an hour from one phone (a kiosk: from its address)
FEEDBACK_LIMIT_ADDRESS = 60  # feedback an hour from one address (a reception's NAT)
FEEDBACK_CARD_PROMISE_MAX = 110  # characters of the mission's line on the table card
KIOSK_RESET_SECONDS = 6  # the kiosk's thank-you shows this long, then a fresh form

# Cases: a way back when a client's trust is lost
CASE_RATING_MAX = 2  # a rating this low or lower opens a case (so does a call-back request)
CASE_OUTCOMES = ("yes", "no", "unknown")  # the fifth step: does the client keep coming?
CASE_NOTE_MAX = 500  # characters of a step's note
CASE_NAME_MAX = 40  # "who did it", as a team member types it

# Revisit next year, from the clients' feedback
REVISIT_FEEDBACK_DAYS = 365  # the feedback a revisit starts from: the last 12 months'
REVISIT_MAX_COMMENTS = 60  # the newest comments that become answers on "What do we give others?"
REVISIT_LEAST_FELT = 3  # principles felt least often that become prompts to discuss
# The team's pulse (/w/<id>/pulse, the lead's /t/<token>) and its monthly sheet
PULSE_RANGES = ("12w", "12m", "all")  # last 12 weeks (by week), 12 months, all (by month)
PULSE_COMMENTS_PER_PAGE = 10
PULSE_SHEET_MONTHS = 6  # the sheet's chart: the month and the five before it
PULSE_SHEET_COMMENTS = 3

# Keeping data
DEFAULT_RETENTION_DAYS = 30

# Live streams (each open one holds a connection and a greenlet; counted in each worker process)
EVENT_ID_MAX_DIGITS = 18  # a Last-Event-ID or ?after= longer than this is ignored (< 2**63)
LIVE_STREAMS_PER_HOLDER = 8  # one phone, screen link or facilitator: tabs, reloads, reconnects
LIVE_STREAMS_ROOM_MARGIN = 20  # a workshop: one per person who joined, plus this many
DEFAULT_LIVE_STREAMS_PER_ADDRESS = 400  # a clinic's NAT: the whole room, twice over
LIVE_THREADS_KEPT_FREE = (20, 5)  # threads never given to streams: at least 20, or 1/5 of all
# Seconds a stream rests after sending, gathering what changes meanwhile into its next frame.
# The screen and the control page redraw a whole block on every event: in a room's burst
# (100 answers a second) this keeps them to three redraws a second, where each event would
# have cost the server one redraw; a phone refetches little and hears at once.
LIVE_PACE_SECONDS = {"screen": 0.3, "facilitator": 0.3, "participant": 0.0}
LIVE_PENDING_MAX = 256 * 1024  # bytes a phone's stream may fall behind before it is closed

# Serving (`workshop serve`, gevent workers)
WORKER_CONNECTIONS_MIN = 10_000  # open connections a worker accepts: past a slowloris of 4,500
REQUEST_HEADERS_SECONDS = 5  # a request's headers must arrive whole within this, or it is dropped
# A request's body must arrive whole within REQUEST_BODY_SECONDS plus its size at this rate
# (body_seconds), or it is answered 408 and its connection closed: 128 kbit/s, slower than
# any Wi-Fi that loads the page at all. A 64 KiB form: 9 s; the 8 MiB poster upload: 517 s.
REQUEST_BODY_SECONDS = 5
REQUEST_BODY_MIN_BYTES_PER_SECOND = 16 * 1024


def word_count(text: str) -> int:
    """Count words as MISSION_WORDS counts them: runs of characters between spaces."""
    return len(text.split())


def live_streams_max(threads: int) -> int:
    """Return how many streams a worker of ``threads`` threads holds, keeping the rest free
    for ordinary requests (LIVE_THREADS_KEPT_FREE)."""
    least, share = LIVE_THREADS_KEPT_FREE
    return max(1, threads - max(least, threads // share))


def body_seconds(size: int) -> float:
    """Return the seconds a request body of ``size`` bytes has to arrive in."""
    return REQUEST_BODY_SECONDS + size / REQUEST_BODY_MIN_BYTES_PER_SECOND


def retention_days(config: dict) -> int:
    """Return the configured days a closed workshop keeps its raw answers (at least 1)."""
    try:
        days = int(config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return max(1, days)
