"""The schema as append-only migrations: never edit one that has landed."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("workshop")


def _execute_all(db: Database, script: str) -> None:
    """Run each statement of ``script`` inside the migration's transaction.

    (``executescript`` would commit first, escaping the migration's transaction.)
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations(name="0001_create_workshops")
def create_workshops(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE workshops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            public_id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            language TEXT NOT NULL,
            join_code TEXT NOT NULL,
            join_token TEXT NOT NULL UNIQUE,
            screen_token TEXT NOT NULL UNIQUE,
            admin_token_hash TEXT NOT NULL,
            current_stage_id INTEGER,
            status TEXT NOT NULL DEFAULT 'open',
            revision INTEGER NOT NULL DEFAULT 0,
            mission TEXT NOT NULL DEFAULT '',
            mission_agreed_at TEXT,
            created_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE UNIQUE INDEX workshops_open_join_code
            ON workshops (join_code) WHERE status = 'open';
        CREATE TABLE facilitator_sessions (
            id TEXT PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        );
        """,
    )


@migrations(name="0002_create_participants_and_stages")
def create_participants_and_stages(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE participants (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            key_hash TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            removed_at TEXT
        );
        CREATE INDEX participants_workshop ON participants (workshop_id);
        CREATE TABLE stages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            prompt TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX stages_workshop ON stages (workshop_id, position);
        """,
    )


@migrations(name="0003_create_contributions")
def create_contributions(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE contributions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            stage_id INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
            participant_id INTEGER REFERENCES participants (id) ON DELETE SET NULL,
            body TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            client_nonce TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX contributions_stage ON contributions (stage_id, id);
        CREATE UNIQUE INDEX contributions_nonce
            ON contributions (participant_id, client_nonce)
            WHERE client_nonce IS NOT NULL;
        """,
    )


@migrations(name="0004_create_principles")
def create_principles(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE principles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            line TEXT NOT NULL
        );
        CREATE INDEX principles_workshop ON principles (workshop_id, position);
        """,
    )


@migrations(name="0005_create_events")
def create_events(db: Database) -> None:
    # AUTOINCREMENT: ids are never reused, so a reader that remembers the highest id
    # it has seen never skips or repeats one (shared/research/live.md §3.2).
    _execute_all(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX events_workshop ON events (workshop_id, id);
        """,
    )


@migrations(name="0006_create_exports")
def create_exports(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE exports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            filename TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        """,
    )


@migrations(name="0007_run_the_room")
def run_the_room(db: Database) -> None:
    # Dot voting, hidden collection, input locks, timers, themes, merges, moderation,
    # people entered by the facilitator, and locked joining.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN joining_locked INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE workshops ADD COLUMN cloned_from TEXT;
        ALTER TABLE participants ADD COLUMN added_by_facilitator INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stages ADD COLUMN input_open INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE stages ADD COLUMN answers_hidden INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stages ADD COLUMN voting TEXT NOT NULL DEFAULT 'off';
        ALTER TABLE stages ADD COLUMN vote_budget INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE stages ADD COLUMN one_dot_per_answer INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stages ADD COLUMN results_revealed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stages ADD COLUMN timer_seconds INTEGER;
        ALTER TABLE stages ADD COLUMN timer_ends_at TEXT;
        ALTER TABLE stages ADD COLUMN close_on_expiry INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stages ADD COLUMN screen_view TEXT NOT NULL DEFAULT 'cards';
        CREATE TABLE themes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            stage_id INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL
        );
        CREATE INDEX themes_stage ON themes (stage_id, position);
        ALTER TABLE contributions ADD COLUMN merged_into INTEGER
            REFERENCES contributions (id) ON DELETE SET NULL;
        ALTER TABLE contributions ADD COLUMN theme_id INTEGER
            REFERENCES themes (id) ON DELETE SET NULL;
        ALTER TABLE contributions ADD COLUMN moderation TEXT NOT NULL DEFAULT 'visible';
        ALTER TABLE contributions ADD COLUMN original_body TEXT;
        ALTER TABLE contributions ADD COLUMN original_detail TEXT;
        ALTER TABLE contributions ADD COLUMN entered_by TEXT NOT NULL DEFAULT 'participant';
        CREATE TABLE votes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            stage_id INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
            contribution_id INTEGER NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
            participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
            entered_by TEXT NOT NULL DEFAULT 'participant',
            created_at TEXT NOT NULL
        );
        CREATE INDEX votes_stage_participant ON votes (stage_id, participant_id);
        CREATE INDEX votes_contribution ON votes (contribution_id);
        """,
    )


@migrations(name="0008_reach_agreement")
def reach_agreement(db: Database) -> None:
    # Drafts and their versions, amendments, consensus rounds and their answers,
    # and what the rounds agree: the mission, the principles and the trust routine.
    _execute_all(
        db,
        """
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            kind TEXT NOT NULL DEFAULT 'mission',
            shown INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX drafts_workshop ON drafts (workshop_id, kind);
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            draft_id INTEGER NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            text TEXT NOT NULL,
            participant_id INTEGER REFERENCES participants (id) ON DELETE SET NULL,
            origin TEXT NOT NULL DEFAULT 'facilitator',
            amendment_id INTEGER,
            created_at TEXT NOT NULL,
            UNIQUE (draft_id, number)
        );
        CREATE TABLE amendments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            draft_id INTEGER NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
            version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            participant_id INTEGER REFERENCES participants (id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            created_at TEXT NOT NULL,
            decided_at TEXT,
            result_version_id INTEGER REFERENCES versions (id) ON DELETE SET NULL
        );
        CREATE INDEX amendments_draft ON amendments (draft_id, status);
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            subject TEXT NOT NULL,
            version_id INTEGER REFERENCES versions (id) ON DELETE SET NULL,
            snapshot TEXT NOT NULL,
            threshold INTEGER NOT NULL DEFAULT 75,
            min_answers INTEGER NOT NULL DEFAULT 3,
            status TEXT NOT NULL DEFAULT 'open',
            outcome TEXT,
            note TEXT NOT NULL DEFAULT '',
            opened_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE INDEX rounds_workshop ON rounds (workshop_id, id);
        CREATE UNIQUE INDEX rounds_one_open ON rounds (workshop_id) WHERE status = 'open';
        CREATE TABLE round_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
            participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
            level INTEGER NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (round_id, participant_id)
        );
        ALTER TABLE workshops ADD COLUMN participants_may_propose INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE workshops ADD COLUMN principles_agreed_at TEXT;
        ALTER TABLE workshops ADD COLUMN routine TEXT NOT NULL DEFAULT '';
        ALTER TABLE workshops ADD COLUMN routine_agreed_at TEXT;
        """,
    )


@migrations(name="0009_create_poster_settings")
def create_poster_settings(db: Database) -> None:
    # The poster page's last choices (size, frame, …), the footer's city and the logo.
    # A table of their own: `Workshop` rows map one-to-one onto the dataclass, and the
    # logo blob stays out of every workshop read.
    _execute_all(
        db,
        """
        CREATE TABLE poster_settings (
            workshop_id INTEGER PRIMARY KEY REFERENCES workshops (id) ON DELETE CASCADE,
            options TEXT NOT NULL DEFAULT '{}',
            city TEXT NOT NULL DEFAULT '',
            logo BLOB,
            updated_at TEXT NOT NULL
        );
        """,
    )


@migrations(name="0010_add_poster_on_screen")
def add_poster_on_screen(db: Database) -> None:
    # The facilitator may put the framed poster itself on the projector once agreed.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN poster_on_screen INTEGER NOT NULL DEFAULT 0;
        """,
    )


@migrations(name="0011_create_screen_pages")
def create_screen_pages(db: Database) -> None:
    # The facilitator's hold on the projector's pages: paused or turning by themselves,
    # and a running sum of page steps (the screen turns by the difference it has not seen).
    _execute_all(
        db,
        """
        CREATE TABLE screen_pages (
            workshop_id INTEGER PRIMARY KEY REFERENCES workshops (id) ON DELETE CASCADE,
            paused INTEGER NOT NULL DEFAULT 0,
            step INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        """,
    )


@migrations(name="0012_add_workshop_time_zone")
def add_workshop_time_zone(db: Database) -> None:
    # The IANA zone every date a person reads is shown in (zones.py). Empty: the default,
    # WORKSHOP_TIMEZONE or Europe/Warsaw for a Polish workshop and the server's zone else.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
        """,
    )


@migrations(name="0013_rename_contributions_to_answers")
def rename_contributions_to_answers(db: Database) -> None:
    # One name per thing: what a person sends to a question is an answer everywhere.
    # SQLite rewrites the references to the table (merged_into, votes) as it renames it;
    # indexes keep their names through a rename, so they are made again under new ones.
    _execute_all(
        db,
        """
        ALTER TABLE contributions RENAME TO answers;
        ALTER TABLE votes RENAME COLUMN contribution_id TO answer_id;
        DROP INDEX contributions_stage;
        DROP INDEX contributions_nonce;
        DROP INDEX votes_contribution;
        CREATE INDEX answers_stage ON answers (stage_id, id);
        CREATE UNIQUE INDEX answers_nonce
            ON answers (participant_id, client_nonce)
            WHERE client_nonce IS NOT NULL;
        CREATE INDEX votes_answer ON votes (answer_id);
        """,
    )


@migrations(name="0014_create_join_requests")
def create_join_requests(db: Database) -> None:
    # The head count the facilitator expects (NULL: not set), the device each phone joined
    # from (a hash of its random cookie id, so a removed person's phone is known again), and
    # the joins held for the facilitator's approval: past the head count, in a burst, or
    # from a removed person's device. ``key_hash`` is the key the waiting phone already
    # holds; approval makes it a participant's.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN expected_people INTEGER;
        ALTER TABLE participants ADD COLUMN device_hash TEXT NOT NULL DEFAULT '';
        CREATE INDEX participants_device ON participants (workshop_id, device_hash);
        CREATE TABLE join_requests (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            key_hash TEXT NOT NULL UNIQUE,
            device_hash TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting',
            created_at TEXT NOT NULL,
            decided_at TEXT
        );
        CREATE INDEX join_requests_waiting ON join_requests (workshop_id, status);
        """,
    )


@migrations(name="0015_add_facilitator_link_pad")
def add_facilitator_link_pad(db: Database) -> None:
    # A new private link is shown once, on the next control page, without ever being in
    # the cookie or the database whole: the browser's cookie carries it XOR a random pad,
    # and this column of the facilitator session that asked keeps the pad until then.
    _execute_all(
        db,
        """
        ALTER TABLE facilitator_sessions ADD COLUMN link_pad TEXT;
        """,
    )


@migrations(name="0016_add_poster_signature")
def add_poster_signature(db: Database) -> None:
    # Who signs the poster's footer ("Zespół Przychodni"); empty: "the team" in words.
    _execute_all(
        db,
        """
        ALTER TABLE poster_settings ADD COLUMN signature TEXT NOT NULL DEFAULT '';
        """,
    )


@migrations(name="0017_create_feedback")
def create_feedback(db: Database) -> None:
    # Clients' feedback after a visit, through the team's own link (``feedback_token``, drawn
    # here for the workshops that exist). ``principles`` is a JSON list of the principle
    # names the client tapped; ``comment`` and ``contact`` are cleared by retention
    # (``redacted_at``), the rating and the principles stay as counts. ``client_nonce``
    # stores a resent form once.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN feedback_token TEXT;
        UPDATE workshops SET feedback_token = lower(hex(randomblob(16)));
        CREATE UNIQUE INDEX workshops_feedback_token ON workshops (feedback_token);
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
            principles TEXT NOT NULL DEFAULT '[]',
            comment TEXT NOT NULL DEFAULT '',
            call_back INTEGER NOT NULL DEFAULT 0,
            contact TEXT NOT NULL DEFAULT '',
            kiosk INTEGER NOT NULL DEFAULT 0,
            client_nonce TEXT,
            created_at TEXT NOT NULL,
            redacted_at TEXT
        );
        CREATE INDEX feedback_workshop ON feedback (workshop_id, id);
        CREATE UNIQUE INDEX feedback_nonce ON feedback (workshop_id, client_nonce)
            WHERE client_nonce IS NOT NULL;
        """,
    )


@migrations(name="0018_create_cases")
def create_cases(db: Database) -> None:
    # A way back when trust is lost: a rating of 1–2 or a call-back request opens a case on
    # its feedback row (one case per feedback). The client's contact stays in feedback.contact
    # only; closing a case clears it. ``case_steps`` holds, per step of the team's routine
    # (position 1–5), a note, who did it and when it was done; ``outcome`` answers the fifth
    # step: does the client keep coming (yes, no, unknown)?
    _execute_all(
        db,
        """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            feedback_id INTEGER NOT NULL UNIQUE REFERENCES feedback (id) ON DELETE CASCADE,
            outcome TEXT CHECK (outcome IN ('yes', 'no', 'unknown')),
            opened_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE INDEX cases_workshop ON cases (workshop_id, closed_at, id);
        CREATE TABLE case_steps (
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
            note TEXT NOT NULL DEFAULT '',
            done_by TEXT NOT NULL DEFAULT '',
            done_at TEXT,
            PRIMARY KEY (case_id, position)
        );
        """,
    )
# Kept by triggers (0019_add_pulse): the pulse's counts by UTC hour, rating and principle.
_COUNT_NEW = """
            INSERT INTO feedback_hours
                VALUES (NEW.workshop_id, substr(NEW.created_at, 1, 13), NEW.rating, 1)
                ON CONFLICT DO UPDATE SET answers = answers + 1;
            INSERT INTO feedback_felt
                SELECT NEW.workshop_id, substr(NEW.created_at, 1, 13), value, 1
                FROM json_each(NEW.principles) WHERE true
                ON CONFLICT DO UPDATE SET felt = felt + 1;
"""
_UNCOUNT_OLD = """
            UPDATE feedback_hours SET answers = answers - 1
                WHERE workshop_id = OLD.workshop_id AND hour = substr(OLD.created_at, 1, 13)
                AND rating = OLD.rating;
            UPDATE feedback_felt SET felt = felt - 1
                WHERE workshop_id = OLD.workshop_id AND hour = substr(OLD.created_at, 1, 13)
                AND principle IN (SELECT value FROM json_each(OLD.principles));
"""
_PULSE_TRIGGERS = (
    f"CREATE TRIGGER feedback_counted AFTER INSERT ON feedback BEGIN {_COUNT_NEW} END",
    f"CREATE TRIGGER feedback_uncounted AFTER DELETE ON feedback BEGIN {_UNCOUNT_OLD} END",
    "CREATE TRIGGER feedback_recounted"
    " AFTER UPDATE OF workshop_id, created_at, rating, principles ON feedback"
    f" BEGIN {_UNCOUNT_OLD} {_COUNT_NEW} END",
)


@migrations(name="0019_add_pulse")
def add_pulse(db: Database) -> None:
    # The team's pulse: a read-only link for the team lead (``lead_token``, drawn here for the
    # workshops that exist), and a comment's review state: ``held`` while the word filter
    # holds it for the facilitator (shown nowhere else until shown), ``hidden_at`` once the
    # facilitator hides it.
    #
    # The pulse counts answers by week or month in the workshop's time and by principle:
    # with a year of a busy clinic (50,000 answers) reading every row for that took most of
    # the page's time. So triggers keep the counts per UTC hour (``feedback_hours``: by
    # rating; ``feedback_felt``: by principle) as feedback is added, changed or deleted,
    # and the pulse reads those (a few thousand rows a year). Retention clears comments and
    # contacts only, so the counts stay. Partial indexes find the newest comments (and the
    # held ones) without walking past the answers that have none.
    _execute_all(
        db,
        """
        ALTER TABLE workshops ADD COLUMN lead_token TEXT;
        UPDATE workshops SET lead_token = lower(hex(randomblob(16)));
        CREATE UNIQUE INDEX workshops_lead_token ON workshops (lead_token);
        ALTER TABLE feedback ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE feedback ADD COLUMN hidden_at TEXT;
        CREATE INDEX feedback_workshop_time ON feedback (workshop_id, created_at);
        CREATE INDEX feedback_comments ON feedback (workshop_id, id) WHERE comment != '';
        CREATE INDEX feedback_held ON feedback (workshop_id, id) WHERE held = 1 AND comment != '';
        CREATE TABLE feedback_hours (
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            hour TEXT NOT NULL,
            rating INTEGER NOT NULL,
            answers INTEGER NOT NULL,
            PRIMARY KEY (workshop_id, hour, rating)
        );
        CREATE TABLE feedback_felt (
            workshop_id INTEGER NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
            hour TEXT NOT NULL,
            principle TEXT NOT NULL,
            felt INTEGER NOT NULL,
            PRIMARY KEY (workshop_id, hour, principle)
        );
        INSERT INTO feedback_hours
            SELECT workshop_id, substr(created_at, 1, 13), rating, count(*)
            FROM feedback GROUP BY 1, 2, 3;
        INSERT INTO feedback_felt
            SELECT workshop_id, substr(created_at, 1, 13), principle.value, count(*)
            FROM feedback, json_each(feedback.principles) AS principle GROUP BY 1, 2, 3;
        """,
    )
    for trigger in _PULSE_TRIGGERS:  # one statement each: their bodies hold semicolons
        db.execute(trigger)
