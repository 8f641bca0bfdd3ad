"""Every stable error code a service raises is documented in docs/errors.md."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _scanner():
    spec = importlib.util.spec_from_file_location("error_codes", ROOT / "scripts" / "error_codes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_error_code_raised_is_documented():
    scanner = _scanner()
    codes = scanner.collect()
    documented = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    # the scanner finds the codes we know are raised (it cannot silently find nothing)
    assert {"uscc.check_char", "region.unknown", "attachment.too_large", "programme.category_range"} <= set(
        codes
    )
    missing = sorted(code for code in codes if f"`{code}`" not in documented)
    assert missing == [], f"run scripts/error_codes.py --write and describe: {missing}"
