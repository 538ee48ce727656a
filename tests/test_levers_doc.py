"""docs/LEVERS.md is current: generated again from the schema and the measured runs, it
is the file as committed (`make levers-doc` rewrites it)."""

from __future__ import annotations

from pathlib import Path

from channelsim.experiment.levers_doc import generate

DOC = Path(__file__).resolve().parents[1] / "docs" / "LEVERS.md"


def test_levers_doc_is_current():
    assert DOC.read_text() == generate(), "docs/LEVERS.md is out of date: make levers-doc"


def test_every_lever_states_a_cost_and_a_downside():
    from channelsim.config.validate import schema_rows

    levers = {k: r for k, r in schema_rows().items() if k.startswith("strategy.")}
    levers.pop("strategy.name")
    assert all(r["cost"] and r["downside"] for r in levers.values())
    text = DOC.read_text()
    assert all(f"### `{key}`" in text for key in levers)
