"""Layer 1, the model: column names, coordinate frames, ids, rules, regions, reference tables.

Nothing here reads user files or knows about people; every other layer builds on it.
"""

from __future__ import annotations

from tracelab.model import schema
from tracelab.model.rules import PRESETS, Rule, as_rule, rule
from tracelab.model.schema import SchemaError

# ``schema`` is the module itself: the column constants, for notebooks and tests.
__all__ = ["PRESETS", "Rule", "SchemaError", "as_rule", "rule", "schema"]
