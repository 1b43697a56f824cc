"""Word-by-word comparison of two versions of a statement."""

import difflib
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\w+|[^\w\s]+|\s+")


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text that both versions share (``same``), or only the old or new has."""

    change: str  # "same" | "removed" | "added"
    text: str


def word_diff(old: str, new: str) -> list[Piece]:
    """Compare two texts word by word; whitespace follows the words it sits between."""
    old_tokens = _TOKENS.findall(old)
    new_tokens = _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(
        a=[t.casefold() if t.strip() else " " for t in old_tokens],
        b=[t.casefold() if t.strip() else " " for t in new_tokens],
        autojunk=False,
    )
    pieces: list[Piece] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            _add(pieces, "same", "".join(new_tokens[b1:b2]))
            continue
        if tag in ("delete", "replace"):
            _add(pieces, "removed", "".join(old_tokens[a1:a2]))
        if tag in ("insert", "replace"):
            _add(pieces, "added", "".join(new_tokens[b1:b2]))
    return pieces


def _add(pieces: list[Piece], change: str, text: str) -> None:
    if not text:
        return
    if pieces and pieces[-1].change == change:
        pieces[-1] = Piece(change, pieces[-1].text + text)
    else:
        pieces.append(Piece(change, text))
