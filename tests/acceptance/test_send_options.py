"""`deckgen send` option parsing and ledger reading: fast, no SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deckgen.errors import ConfigError
from deckgen.send import LEDGER, SendLedger, find_outbox, parse_rate, parse_sender, parse_smtp


def test_parse_smtp() -> None:
    assert parse_smtp("smtp.example.com:587") == ("smtp.example.com", 587)
    assert parse_smtp("localhost") == ("localhost", 25)
    assert parse_smtp("[::1]:2525") == ("::1", 2525)
    for bad in ("a:b", ":25", "[::1", "host:70000", "", "a:1:2x"):
        with pytest.raises(ConfigError, match="--smtp"):
            parse_smtp(bad)


def test_parse_rate() -> None:
    assert parse_rate("30/min") == 30
    assert parse_rate("45") == 45
    assert parse_rate("2/s") == 120
    assert parse_rate(None) is None and parse_rate("") is None
    for bad in ("fast", "-3/min", "3/fortnight"):
        with pytest.raises(ConfigError, match="--rate"):
            parse_rate(bad)


def test_parse_sender_keeps_a_name_and_refuses_junk() -> None:
    a = parse_sender("Customer Success <cs@example.com>")
    assert (a.display_name, a.addr_spec) == ("Customer Success", "cs@example.com")
    assert parse_sender("cs@example.com").display_name == ""
    with pytest.raises(ConfigError, match="--from"):
        parse_sender("cs@example.com\r\nBcc: x@example.com")


def test_ledger_keeps_the_last_state_and_ignores_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / LEDGER
    path.parent.mkdir(parents=True)
    lines = [
        {"key": "A-1|2026Q3", "status": "sending"},
        {"key": "A-1|2026Q3", "status": "sent"},
        {"key": "A-2|2026Q3", "status": "sending"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"key": "A-3|20', "utf-8")
    ledger = SendLedger(path)
    assert ledger.get("A-1|2026Q3")["status"] == "sent"  # type: ignore[index]
    assert ledger.get("A-2|2026Q3")["status"] == "sending"  # type: ignore[index]
    assert ledger.get("A-3|2026Q3") is None
    with ledger:
        ledger.record("A-2|2026Q3", "sent", to="x@example.org")
    assert SendLedger(path).get("A-2|2026Q3")["status"] == "sent"  # type: ignore[index]


def test_outbox_from_a_manifest_lists_only_its_email_files(tmp_path: Path) -> None:
    for name in ("a.eml", "stale.eml", "review/b.eml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    manifest = {
        "accounts": [
            {
                "account_id": "A",
                "status": "rendered",
                "files": [
                    {"path": "a.eml", "kind": "email"},
                    {"path": "a.html", "kind": "email_preview_html"},
                ],
            },
            {
                "account_id": "B",
                "status": "review",
                "files": [{"path": "review/b.eml", "kind": "email"}],
            },
        ]
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    found = [(e.path.name, e.review) for e in find_outbox(tmp_path)]
    assert found == [("a.eml", False), ("b.eml", True)]  # stale.eml is not in the batch
    (tmp_path / "manifest.json").unlink()
    found = [(e.path.name, e.review) for e in find_outbox(tmp_path)]
    assert found == [("a.eml", False), ("stale.eml", False), ("b.eml", True)]
