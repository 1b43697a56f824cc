"""Who is asking: the facilitator, a participant's phone, or the projector screen."""

from flask import g, session
from flask_babel import gettext

from . import models
from .db import get_db
from .models import Participant, Workshop
from .web import found, refuse


def load_workshop(public_id: str) -> Workshop:
    """Load the workshop named in the URL (404 if none) and make it set the language."""
    workshop = found(models.get_workshop(get_db(), public_id))
    g.workshop = workshop
    return workshop


def remember_facilitator(workshop: Workshop, session_id: str) -> None:
    """Keep a facilitator session id in this browser's cookie."""
    held = dict(session.get("facilitator", {}))
    held[workshop.public_id] = session_id
    session["facilitator"] = held
    session.permanent = True


def show_new_link_once(workshop: Workshop, link: str) -> None:
    """Have the next control page show a new private link, which never travels whole: the
    cookie carries it sealed, the facilitator session keeps the pad (models.seal_new_link)."""
    session_id = facilitator_session_id(workshop)
    if session_id:
        session["new_admin_link"] = models.seal_new_link(get_db(), workshop, session_id, link)


def take_new_link(workshop: Workshop) -> str | None:
    """Return the new private link to show on this control page, once; None if there is none."""
    sealed = session.pop("new_admin_link", None)
    session_id = facilitator_session_id(workshop)
    if not isinstance(sealed, str) or not session_id:
        return None
    return models.open_new_link(get_db(), workshop, session_id, sealed)


def facilitator_session_id(workshop: Workshop) -> str | None:
    """Return the facilitator session id this browser holds for the workshop, if any."""
    held = session.get("facilitator")
    session_id = held.get(workshop.public_id) if isinstance(held, dict) else None
    return session_id if isinstance(session_id, str) and session_id else None


def is_facilitator(workshop: Workshop) -> bool:
    """Tell whether this browser holds a live facilitator session for the workshop."""
    session_id = facilitator_session_id(workshop)
    return bool(session_id) and models.facilitator_session_is_valid(get_db(), workshop, session_id)


def facilitator_workshop(public_id: str) -> Workshop:
    """Load the workshop, refusing anyone who is not its facilitator."""
    workshop = load_workshop(public_id)
    if not is_facilitator(workshop):
        refuse(403, gettext("This page is only for the workshop's facilitator."))
    return workshop


def remember_participant(workshop: Workshop, key: str) -> None:
    """Keep a participant key in this phone's cookie."""
    held = dict(session.get("participant", {}))
    held[workshop.public_id] = key
    session["participant"] = held
    session.permanent = True


def current_participant(workshop: Workshop) -> Participant | None:
    """Return the participant this phone is, in this workshop."""
    key = session.get("participant", {}).get(workshop.public_id)
    return models.get_participant(get_db(), workshop, key) if key else None


def screen_workshop(token: str) -> Workshop:
    """Load the workshop whose projector screen this token opens."""
    workshop = found(models.get_workshop_by_screen_token(get_db(), token))
    g.workshop = workshop
    return workshop


def lead_workshop(token: str) -> Workshop:
    """Load the workshop whose team lead's read-only pulse link this is."""
    workshop = found(models.get_workshop_by_lead_token(get_db(), token))
    g.workshop = workshop
    return workshop
