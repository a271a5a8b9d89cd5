from __future__ import annotations

from pathlib import Path

from apps.audit.models import Action

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit.md"


def test_every_action_is_documented_with_its_label():
    text = DOC.read_text()
    missing = [f"| `{value}` | {label} |" for value, label in Action.choices if f"| `{value}` | {label} |" not in text]
    assert missing == [], "add these rows to docs/audit.md's vocabulary table:\n" + "\n".join(missing)
