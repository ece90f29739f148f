# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The findings catalogue (``catalogue.yml`` beside this file) and its engine (``engine.py``).

A package rather than ``_ndes/rules.py``: Ansible's collection loader treats a
``rules/`` directory as a package and would hide a ``rules.py`` next to it.
"""
from __future__ import annotations

__all__ = ("BUILTIN", "CATALOGUE_PATH", "FAIL_ON", "SECTIONS", "SEVERITIES", "Rule", "RuleError", "default_docs",
           "evaluate", "load_catalogue", "load_file", "parse_rules", "should_fail", "truthy")

from ansible_collections.ndes.scep.plugins.module_utils._ndes.rules.engine import (  # noqa: F401,E402
    BUILTIN,
    CATALOGUE_PATH,
    FAIL_ON,
    SECTIONS,
    SEVERITIES,
    Rule,
    RuleError,
    default_docs,
    evaluate,
    load_catalogue,
    load_file,
    parse_rules,
    should_fail,
    truthy,
)
