"""Provider codes and field names stop at channels/: the pipelines read onward's neutral values."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_WORDS = ("twilio", "sendgrid", "optouttype", "nummedia", "21610", "30003", "30007")
PIPELINES = sorted((ROOT / "engine" / "inbound").glob("*.py"))


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pipeline_module_knows_no_provider(path: Path) -> None:
    source = path.read_text(encoding="utf-8").lower()
    assert not [word for word in PROVIDER_WORDS if word in source]
