"""Every form Credo shows, with the text cleaning all user input goes through."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .i18n import LANGUAGES, wtforms_translations
from .method import TEMPLATES
from .models import normalize_join_code
from .rules import (
    ANSWER_MAX,
    BUILDER_PART_MAX,
    CASE_NAME_MAX,
    CASE_NOTE_MAX,
    CITY_MAX,
    DEFAULT_MIN_ANSWERS,
    DEFAULT_THRESHOLD,
    DEFAULT_TIMER_MINUTES,
    DEFAULT_VOTE_BUDGET,
    EXPECTED_PEOPLE_RANGE,
    FEEDBACK_COMMENT_MAX,
    FEEDBACK_CONTACT_MAX,
    FEEDBACK_RATINGS,
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    LOGO_MAX_BYTES,
    MAX_PRINCIPLES,
    MIN_ANSWERS_RANGE,
    OVERRIDE_NOTE_MAX,
    PERSON_NAME_MAX,
    PRINCIPLE_LINE_MAX,
    PRINCIPLE_NAME_MAX,
    REASON_MAX,
    ROUTINE_STEP_MAX,
    SIGNATURE_MAX,
    STAGE_PROMPT_MAX,
    STAGE_TITLE_MAX,
    STATEMENT_MAX,
    THEME_NAME_MAX,
    THRESHOLD_RANGE,
    TIMER_MINUTES_RANGE,
    TITLE_MAX,
    VOTE_BUDGET_RANGE,
)
from .zones import default_zone, is_zone, zone_choices

_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f"  # control characters, but not \t and \n
    "\u200b\u200c\u200e\u200f\u2060\ufeff"  # zero-width and direction marks
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ue000-\uf8ff]"  # private use
)


def clean_text(value: str | None) -> str:
    """Normalise typed text: NFC, no invisible or reordering characters, tidy blank lines.

    What people may enter. poster.clean_text is stricter and flattens lines, for typesetting.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text.replace("\t", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str:
    """Normalise text that must stay on one line."""
    return " ".join(clean_text(value).split())


def _builder_part() -> Length:
    return _length(0, BUILDER_PART_MAX)


def _length(low: int, high: int) -> Length:
    if low:
        message = _l("Write between %(min)d and %(max)d characters.")
    else:
        message = _l("Write at most %(max)d characters.")
    return Length(min=low, max=high, message=message)


class Form(FlaskForm):
    """Every form's base: WTForms' messages from a catalog read once (i18n.py)."""

    class Meta:
        def get_translations(self, _form):
            return wtforms_translations()


class ActionForm(Form):
    """A button that changes something: only the CSRF token travels."""


def _known_zone(_form: FlaskForm, field: SelectField) -> None:
    if field.data and not is_zone(field.data):
        raise ValidationError(_l("Choose a time zone from the list, such as Europe/Warsaw."))


def _zone_options(*also: str) -> list[SelectChoice]:
    return [SelectChoice(name, name.replace("_", " ")) for name in zone_choices(*also)]


class CreateWorkshopForm(Form):
    title = StringField(
        _l("Your team's name"),
        filters=[clean_line],
        validators=[DataRequired(_l("Enter your team's name.")), _length(1, TITLE_MAX)],
    )
    language = SelectField(
        _l("Workshop language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        validate_choice=True,
    )
    template = SelectField(
        _l("Workshop plan"),
        choices=[SelectChoice(key, label) for key, label in TEMPLATES.items()],
        default="mission",
        validate_choice=True,
    )
    time_zone = SelectField(
        _l("Time zone"), default="", validate_choice=False, validators=[_known_zone]
    )
    # Asked for only when the server sets WORKSHOP_CREATE_PASSWORD (the view checks it).
    password = PasswordField(_l("Password to start a workshop"), validators=[Length(max=200)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        polish, other = default_zone("pl"), default_zone("en")
        if polish == other:
            default_choice = _l("Default: %(zone)s", zone=polish)
        else:
            default_choice = _l("Default: %(pl)s in Polish, %(en)s in English", pl=polish, en=other)
        self.time_zone.choices = [SelectChoice("", default_choice), *_zone_options(other)]


class TimeZoneForm(Form):
    time_zone = SelectField(_l("Time zone"), validate_choice=False, validators=[_known_zone])

    def __init__(self, *args: object, current: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = _zone_options(current)
        if self.time_zone.data is None:
            self.time_zone.data = current


class JoinForm(Form):
    code = StringField(
        _l("Join code"),
        filters=[lambda value: normalize_join_code(value or "")],
        validators=[DataRequired(_l("Enter the code shown on the screen."))],
    )

    def validate_code(self, field: StringField) -> None:
        """Name a character no code contains (O for 0, I or L for 1…) before the length."""
        odd = [ch for ch in field.data if ch not in JOIN_CODE_ALPHABET]
        if odd:
            raise ValidationError(
                _l(
                    "A join code never contains “%(char)s”: check that character "
                    "against the code on the screen.",
                    char=odd[0],
                )
            )
        if len(field.data) != JOIN_CODE_LENGTH:
            raise ValidationError(
                _l(
                    "A join code has %(num)d letters and digits, like K7M-2P9.",
                    num=JOIN_CODE_LENGTH,
                )
            )


class NameForm(Form):
    display_name = StringField(
        _l("Your name (optional)"), filters=[clean_line], validators=[_length(0, PERSON_NAME_MAX)]
    )


class AnswerForm(Form):
    body = TextAreaField(
        _l("Your answer"),
        filters=[clean_text],
        validators=[DataRequired(_l("Write your answer first.")), _length(1, ANSWER_MAX)],
    )
    detail = TextAreaField(
        _l("How it shows in our daily work (optional)"),
        filters=[clean_text],
        validators=[_length(0, ANSWER_MAX)],
    )
    nonce = HiddenField(validators=[Length(max=64)])
    stage = HiddenField(validators=[Length(max=20)])  # the question the phone showed


class PrincipleEntry(Form):
    class Meta:
        csrf = False

    name = StringField(
        _l("Principle"), filters=[clean_line], validators=[_length(0, PRINCIPLE_NAME_MAX)]
    )
    line = StringField(
        _l("How it shows in daily work"),
        filters=[clean_line],
        validators=[_length(0, PRINCIPLE_LINE_MAX)],
    )

    def validate_line(self, field: StringField) -> None:
        if field.data and not self.name.data:
            raise ValidationError(_l("Give this principle a name, or clear the line."))


class PrinciplesForm(Form):
    principles = FieldList(FormField(PrincipleEntry), min_entries=0, max_entries=MAX_PRINCIPLES)

    def pairs(self) -> list[tuple[str, str]]:
        """Return the filled-in (name, line) pairs, in order."""
        return [
            (entry.form.name.data, entry.form.line.data)
            for entry in self.principles
            if entry.form.name.data
        ]


class VotingForm(Form):
    budget = IntegerField(
        _l("Dots per person"),
        default=DEFAULT_VOTE_BUDGET,
        validators=[
            InputRequired(_l("Choose how many dots each person gets.")),
            NumberRange(*VOTE_BUDGET_RANGE, message=_l("Choose between %(min)d and %(max)d.")),
        ],
    )
    one_per_answer = BooleanField(_l("At most one dot per answer"))


class TimerForm(Form):
    minutes = IntegerField(
        _l("Minutes"),
        default=DEFAULT_TIMER_MINUTES,
        validators=[
            InputRequired(_l("Choose how many minutes.")),
            NumberRange(*TIMER_MINUTES_RANGE, message=_l("Choose between %(min)d and %(max)d.")),
        ],
    )
    close_on_expiry = BooleanField(_l("Close answering when time is up"))


class ThemeForm(Form):
    name = StringField(
        _l("Theme name"),
        filters=[clean_line],
        validators=[DataRequired(_l("Name the theme.")), _length(1, THEME_NAME_MAX)],
    )


class MergeForm(Form):
    target = SelectField(_l("Merge into"), coerce=int, validate_choice=False)


class AnswerThemeForm(Form):
    theme = SelectField(_l("Theme"), coerce=int, validate_choice=False)


class PersonForm(Form):
    name = StringField(
        _l("Name of a person without a phone"),
        filters=[clean_line],
        validators=[DataRequired(_l("Enter a name.")), _length(1, PERSON_NAME_MAX)],
    )


class ExpectedForm(Form):
    """How many people the facilitator expects; empty clears it."""

    expected = IntegerField(
        _l("People expected in the room"),
        validators=[
            Optional(),
            NumberRange(*EXPECTED_PEOPLE_RANGE, message=_l("Choose between %(min)d and %(max)d.")),
        ],
    )
    now = BooleanField()  # "everyone here now": the number present when it arrives


class FacilitatorAnswerForm(AnswerForm):
    """An answer as the facilitator words it: rewording one, or entering it for someone."""

    body = TextAreaField(
        _l("The answer's wording"),
        filters=[clean_text],
        validators=[DataRequired(_l("Write the answer first.")), _length(1, ANSWER_MAX)],
    )


class OnBehalfAnswerForm(FacilitatorAnswerForm):
    person = SelectField(_l("On behalf of"), coerce=int, validate_choice=False)


class OnBehalfDotForm(Form):
    person = SelectField(_l("Dot for"), coerce=int, validate_choice=False)
    answer = SelectField(_l("On the answer"), coerce=int, validate_choice=False)


class StageForm(Form):
    title = StringField(
        _l("Question"),
        filters=[clean_line],
        validators=[DataRequired(_l("Write the question.")), _length(1, STAGE_TITLE_MAX)],
    )
    prompt = TextAreaField(
        _l("Help text under the question (optional)"),
        filters=[clean_line],
        validators=[_length(0, STAGE_PROMPT_MAX)],
    )


class CloneForm(Form):
    title = StringField(
        _l("Name of the new workshop"),
        filters=[clean_line],
        validators=[DataRequired(_l("Enter your team's name.")), _length(1, TITLE_MAX)],
    )
    from_feedback = BooleanField(_l("Start from the clients' feedback of the last 12 months"))


def form_errors(form) -> list[str]:
    """Flatten a form's errors, nested ones included, into a list of messages."""
    messages: list[str] = []

    def collect(errors: object) -> None:
        if isinstance(errors, dict):
            for value in errors.values():
                collect(value)
        elif isinstance(errors, list):
            for value in errors:
                collect(value)
        elif errors:
            messages.append(str(errors))

    collect(form.errors)
    return messages


LEVEL_LABELS = {
    1: _l("Fully agree"),
    2: _l("Agree"),
    3: _l("Can live with it"),
    4: _l("Have reservations"),
    5: _l("Block"),
}


class StatementForm(Form):
    """A draft, a new version or an amendment: the whole wording."""

    text = TextAreaField(
        _l("Wording"),
        filters=[clean_text],
        validators=[DataRequired(_l("Write the wording first.")), _length(1, STATEMENT_MAX)],
    )


class BuilderForm(Form):
    """The statement builder: three slots of the scaffold, or free text instead."""

    why = StringField(_l("We exist to …"), filters=[clean_line], validators=[_builder_part()])
    whom = StringField(_l("for …"), filters=[clean_line], validators=[_builder_part()])
    how = StringField(_l("by …"), filters=[clean_line], validators=[_builder_part()])
    text = TextAreaField(
        _l("Or write it freely"),
        filters=[clean_text],
        validators=[_length(0, STATEMENT_MAX)],
    )

    def validate_text(self, field: TextAreaField) -> None:
        if not field.data and not (self.why.data and self.whom.data and self.how.data):
            raise ValidationError(_l("Fill all three parts of the sentence, or write it freely."))


class RoundForm(Form):
    target = SelectField(_l("Decide on"), validate_choice=False)
    threshold = IntegerField(
        _l("Share needed at “can live with it” or better (%)"),
        default=DEFAULT_THRESHOLD,
        validators=[
            Optional(),
            NumberRange(*THRESHOLD_RANGE, message=_l("Choose between %(min)d and %(max)d.")),
        ],
    )
    min_answers = IntegerField(
        _l("Show the result once this many have answered"),
        default=DEFAULT_MIN_ANSWERS,
        validators=[
            Optional(),
            NumberRange(*MIN_ANSWERS_RANGE, message=_l("Choose between %(min)d and %(max)d.")),
        ],
    )


class RoundAnswerForm(Form):
    level = RadioField(
        _l("Where do you stand?"),
        choices=[SelectChoice(level, label) for level, label in LEVEL_LABELS.items()],
        coerce=int,
        validators=[InputRequired(_l("Choose where you stand."))],
    )
    reason = TextAreaField(
        _l("Your reason"),
        filters=[clean_text],
        validators=[_length(0, REASON_MAX)],
    )

    def validate_reason(self, field: TextAreaField) -> None:
        if self.level.data == 5 and not field.data:
            raise ValidationError(_l("A block needs a reason: what would have to change?"))


class OverrideForm(Form):
    note = TextAreaField(
        _l("Why the team agrees it anyway"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Write a note for the record.")),
            _length(1, OVERRIDE_NOTE_MAX),
        ],
    )


class RoutineForm(Form):
    step_1 = StringField(_l("Step 1"), filters=[clean_line])
    step_2 = StringField(_l("Step 2"), filters=[clean_line])
    step_3 = StringField(_l("Step 3"), filters=[clean_line])
    step_4 = StringField(_l("Step 4"), filters=[clean_line])
    step_5 = StringField(_l("Step 5"), filters=[clean_line])

    def steps(self) -> list:
        """Return the five step fields in order."""
        return [self.step_1, self.step_2, self.step_3, self.step_4, self.step_5]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self.steps():
            if not field.data:
                field.errors = [*field.errors, _l("Write this step.")]
                valid = False
            elif len(field.data) > ROUTINE_STEP_MAX:
                field.errors = [
                    *field.errors,
                    _l("Write at most %(max)d characters.", max=ROUTINE_STEP_MAX),
                ]
                valid = False
        return valid

    def text(self) -> str:
        """Return the routine as one step per line."""
        return "\n".join(field.data for field in self.steps())


# The poster page ---------------------------------------------------------------------------

POSTER_SIZES = {
    "a4": _l("A4 · 21 × 29.7 cm"),
    "a3": _l("A3 · 29.7 × 42 cm"),
    "a2": _l("A2 · 42 × 59.4 cm"),
    "letter": _l("US Letter · 8.5 × 11 in"),
    "ledger": _l("Ledger · 11 × 17 in"),
}
SIZE_NAMES = {
    "a6": _l("A6"),
    "a5": _l("A5"),
    "a4": _l("A4"),
    "a3": _l("A3"),
    "a2": _l("A2"),
    "letter": _l("US Letter"),
    "ledger": _l("Ledger"),
}
ORIENTATION_NAMES = {"portrait": _l("Portrait"), "landscape": _l("Landscape")}


class PosterForm(Form):
    """The poster's options; the frame and theme choices come from the poster engine."""

    size = RadioField(
        _l("Paper size"),
        choices=[SelectChoice(key, label) for key, label in POSTER_SIZES.items()],
        validators=[InputRequired(_l("Choose a paper size."))],
    )
    orientation = RadioField(
        _l("Orientation"),
        choices=[SelectChoice(key, label) for key, label in ORIENTATION_NAMES.items()],
        validators=[InputRequired(_l("Choose portrait or landscape."))],
    )
    frame = SelectField(_l("Frame"), validate_choice=True)
    theme = SelectField(_l("Colours"), validate_choice=True)
    bleed = BooleanField(_l("3 mm bleed with crop marks, for a print shop"))
    archival = BooleanField(_l("Archival PDF (PDF/A), for keeping the file for years"))
    feedback_qr = BooleanField(_l("Print the clients' feedback QR code on the poster"))
    city = StringField(
        _l("City in the footer (optional)"),
        filters=[clean_line],
        validators=[_length(0, CITY_MAX)],
    )
    reading_distance = SelectField(_l("Read from"), validate_choice=True)
    signature = StringField(
        _l("Signed by, in the footer (optional)"),
        description=_l("For example: Zespół Przychodni. Empty: “The team”."),
        filters=[clean_line],
        validators=[_length(0, SIGNATURE_MAX)],
    )
    logo = FileField(
        _l("Logo (PNG or JPEG, up to %(num)d MB)", num=LOGO_MAX_BYTES // (1024 * 1024))
    )


# A client's five steps, worst first: what each face says (the page shows the face too).
FEEDBACK_RATING_LABELS = {
    1: _l("Very bad"),
    2: _l("Bad"),
    3: _l("So-so"),
    4: _l("Good"),
    5: _l("Very good"),
}
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{5,22}[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")


def is_contact(text: str) -> bool:
    """Tell whether ``text`` reads as a phone number (7 to 15 digits) or an e-mail address."""
    if _EMAIL.fullmatch(text):
        return True
    digits = sum(ch.isdigit() for ch in text)
    return bool(_PHONE.fullmatch(text)) and 7 <= digits <= 15


class FeedbackForm(Form):
    """A client's feedback after a visit. ``principles`` gets its choices from the view
    (the workshop's agreed principles); ``website`` is a honeypot no person fills in;
    ``started`` is a signed time the form was drawn, ``nonce`` stores a resend once."""

    rating = RadioField(
        _l("How did we do today?"),
        choices=[SelectChoice(str(key), label) for key, label in FEEDBACK_RATING_LABELS.items()],
        validators=[InputRequired(_l("Choose how it went today: tap one of the five faces."))],
    )
    principles = SelectMultipleField(
        _l("Which of our principles did you feel today? (optional)"),
        validate_choice=False,  # the model keeps only the workshop's own (they may change)
    )
    comment = TextAreaField(
        _l("What could we do better? (optional)"),
        filters=[clean_text],
        validators=[_length(0, FEEDBACK_COMMENT_MAX)],
    )
    call_back = BooleanField(_l("Yes, please call me back"))
    contact = StringField(
        _l("Your phone number or e-mail"),
        filters=[clean_line],
        validators=[_length(0, FEEDBACK_CONTACT_MAX)],
    )
    consent = BooleanField(
        _l(
            "I agree that the team keeps this phone number or e-mail to contact me about "
            "today's visit, and deletes it afterwards."
        )
    )
    website = StringField(_l("Leave this empty"))
    started = HiddenField(validators=[Length(max=200)])
    nonce = HiddenField(validators=[Length(max=64)])

    def validate_rating(self, field: RadioField) -> None:
        if field.data not in {str(key) for key in FEEDBACK_RATINGS}:
            raise ValidationError(_l("Choose how it went today: tap one of the five faces."))

    def validate_contact(self, field: StringField) -> None:
        if not self.call_back.data:
            return
        if not field.data:
            raise ValidationError(
                _l("Write a phone number or an e-mail address, so we can call you back.")
            )
        if not is_contact(field.data):
            raise ValidationError(
                _l("This is neither a phone number nor an e-mail address: please check it.")
            )

    def validate_consent(self, field: BooleanField) -> None:
        if self.call_back.data and not field.data:
            raise ValidationError(_l("Tick this, so we may keep your contact to call you back."))


CASE_OUTCOME_LABELS = {
    "yes": _l("Yes, the client keeps coming"),
    "no": _l("No, the client does not come back"),
    "unknown": _l("We don't know yet"),
}


class CaseStepForm(Form):
    """One step of the team's routine on a case, done: a note and who did it; the last step
    also answers whether the client keeps coming (``last`` is set by the view)."""

    note = TextAreaField(
        _l("Note (optional)"), filters=[clean_text], validators=[_length(0, CASE_NOTE_MAX)]
    )
    done_by = StringField(
        _l("Who did it"),
        filters=[clean_line],
        validators=[
            DataRequired(_l("Write your name: who did this step?")),
            _length(1, CASE_NAME_MAX),
        ],
    )
    outcome = RadioField(
        _l("Does the client keep coming to us?"),
        choices=[SelectChoice(key, label) for key, label in CASE_OUTCOME_LABELS.items()],
        validate_choice=False,
    )
    last = False

    def validate_outcome(self, field: RadioField) -> None:
        if self.last and field.data not in CASE_OUTCOME_LABELS:
            raise ValidationError(_l("Choose one answer: does the client keep coming to us?"))
