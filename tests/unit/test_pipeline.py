"""`deckgen render`'s path through the pipeline: one account prepared apart from its renderers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from deckgen.errors import DataError
from deckgen.pipeline import (
    Prepared,
    prepare,
    prepare_account,
    prepare_account_in_background,
    ready_renderers,
)

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "book"
AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def whole_book() -> Prepared:
    return prepare(SAMPLE, as_of=AS_OF)


def _as_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@pytest.mark.parametrize("account_id", ["A-0001", "A-0016", "A-0025", "A-0002", "A-0004"])
def test_one_account_gets_the_metrics_the_whole_book_gives_it(
    whole_book: Prepared, account_id: str
) -> None:
    one = prepare_account(SAMPLE, account_id, as_of=AS_OF)
    expected = whole_book.account(account_id)
    assert _as_json(one.metrics.as_json()) == _as_json(expected.as_json())
    assert one.metrics == expected
    assert one.as_of == AS_OF and one.quarter is None
    assert one.config.to_yaml() == whole_book.config.to_yaml()


def test_one_account_carries_its_products_modules_for_the_email(whole_book: Prepared) -> None:
    one_per_product = {m.facts.product_type: m for m in whole_book.metrics}
    for m in one_per_product.values():
        one = prepare_account(SAMPLE, m.account_id, as_of=AS_OF)
        assert one.product_modules(one.metrics) == whole_book.product_modules(m)
    assert any(whole_book.product_modules(m) for m in whole_book.metrics)
    with pytest.raises(ValueError, match="prepared for 'A-0016', not 'A-0001'"):
        one = prepare_account(SAMPLE, "A-0016", as_of=AS_OF)
        one.product_modules(whole_book.account("A-0001"))


def test_an_unknown_account_gets_the_same_hint(whole_book: Prepared) -> None:
    for typo in ("a-0016", "A-00l6", "nobody"):
        with pytest.raises(DataError) as expected:
            whole_book.account(typo)
        with pytest.raises(DataError) as got:
            prepare_account(SAMPLE, typo, as_of=AS_OF)
        assert str(got.value) == str(expected.value)


def test_background_preparation_gives_the_same_result() -> None:
    pending = prepare_account_in_background(SAMPLE, "A-0016", as_of=AS_OF, quarter="2026Q2")
    got = pending.result()
    expected = prepare_account(SAMPLE, "A-0016", as_of=AS_OF, quarter="2026Q2")
    assert (got.metrics, got.as_of, got.quarter) == (expected.metrics, AS_OF, "2026Q2")
    assert got.config.to_yaml() == expected.config.to_yaml()


def test_ready_renderers_warms_what_the_first_deck_would_load(whole_book: Prepared) -> None:
    from deckgen.model.build import build_deck
    from deckgen.model.specs import load_spec
    from deckgen.narrative.env import text_env

    load_spec.cache_clear()
    text_env.cache_clear()
    ready_renderers(("pptx",))
    specs, envs = load_spec.cache_info(), text_env.cache_info()
    build_deck(whole_book.account("A-0016"), whole_book.config, "enterprise")
    assert load_spec.cache_info().misses == specs.misses
    assert text_env.cache_info().misses == envs.misses


def test_ready_renderers_leaves_errors_to_rendering(tmp_path: Path) -> None:
    broken = tmp_path / "corp.pptx"
    broken.write_bytes(b"not a deck")
    ready_renderers(("pptx", "email"), template=broken)  # no exception
    ready_renderers(("email",))


def test_rendering_one_account_never_imports_pandas_in_the_main_process(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from deckgen.cli import cli\n"
        f"cli.main(['render', {str(SAMPLE)!r}, '--account', 'A-0016', '--as-of', "
        f"'{AS_OF}', '--out', {str(tmp_path)!r}], standalone_mode=False)\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'duckdb') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
    assert len(list(tmp_path.glob("*.pptx"))) == 1


def test_the_pipeline_module_imports_no_pandas() -> None:
    code = "import sys, deckgen.pipeline; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
