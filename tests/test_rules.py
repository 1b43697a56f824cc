"""One home per rule: every limit is named once, in workshop/rules.py, and imported elsewhere."""

import ast
import re
from pathlib import Path

from workshop import forms, rules

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {name for name in vars(rules) if name.isupper()}
TYPED_LENGTH = re.compile(r"""maxlength=["']?\d""")


def defined_names(path: Path) -> set[str]:
    """The names a module assigns at its top level."""
    names = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def test_no_module_names_a_limit_again():
    twice = {
        str(path.relative_to(ROOT)): sorted(defined_names(path) & LIMITS)
        for path in (ROOT / "workshop").rglob("*.py")
        if path.name != "rules.py"
    }
    assert {name: found for name, found in twice.items() if found} == {}


def test_no_template_retypes_a_length():
    retyped = [
        f"{path.relative_to(ROOT)}: {line.strip()[:80]}"
        for path in (ROOT / "templates").rglob("*.html")
        for line in path.read_text().splitlines()
        if TYPED_LENGTH.search(line)
    ]
    assert retyped == []


def test_a_form_field_carries_its_limit_to_the_page(app):
    with app.test_request_context():
        rendered = forms.AnswerForm().body()
    assert f'maxlength="{rules.ANSWER_MAX}"' in rendered


def test_the_principles_limit_is_one_number_everywhere():
    assert rules.MAX_PRINCIPLES == rules.PRINCIPLE_COUNT[1]
    assert forms.PrinciplesForm.principles.kwargs["max_entries"] == rules.MAX_PRINCIPLES
