"""Every limit of a workshop, named once: models enforce them, forms and pages show them.

Import a limit from here; never retype its number. Messages that state a limit take it as
a parameter (``%(max)d``), so changing it here changes what every audience reads.
"""

# Joining
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
JOIN_CODE_LENGTH = 6
JOIN_CODE_TYPED_MAX = 9  # as people type it: K7M-2P9, with a space or two
FACILITATOR_SESSION_HOURS = 12

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
CARD_MAX_STEPS = 12  # a staff card's routine steps
POSTER_MAX_CHARACTERS = 6000  # well above the form limits; stops absurd input before layout

# Keeping data
DEFAULT_RETENTION_DAYS = 30


def word_count(text: str) -> int:
    """Count words as MISSION_WORDS counts them: runs of characters between spaces."""
    return len(text.split())


def retention_days(config: dict) -> int:
    """Return the configured days a closed workshop keeps its raw answers (at least 1)."""
    try:
        days = int(config.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_RETENTION_DAYS
    return max(1, days)
