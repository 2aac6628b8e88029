"""Fault: NaN or Infinity in module arguments. Each is refused with a sentence naming the
option, instead of a rule or a window that silently never matches."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "module, args, message",
    [
        ("twzrd.ops.health_probe", {"timeout": "nan"}, "Probe setting timeout must be a finite number"),
        ("twzrd.ops.swap_usage", {"swap_critical": "inf"}, "Setting swap_critical must be a finite number"),
        ("twzrd.ops.log_scan", {"window_days": "nan", "paths": ["/nonexistent"]}, "Option window_days must be a finite number"),
    ],
)
def test_non_finite_module_arguments_are_refused_by_name(run_module, module, args, message):
    result = run_module(module, args)
    assert result.get("failed") is True
    assert result["msg"].startswith(message), result["msg"]
    assert "Traceback" not in result["_stdout"]
