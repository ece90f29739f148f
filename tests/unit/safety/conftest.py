# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the safety unit tests: lab templates built once, copied per use; the figures recorder."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults  # noqa: E402


@pytest.fixture(scope="session")
def lab_templates(tmp_path_factory):
    """``template(faults)`` -> path of a lab with those faults, built once per session (read-only)."""
    built = {}
    base = str(tmp_path_factory.mktemp("safety-templates"))

    def template(fault_list=()):
        key = repr(fault_list)
        if key not in built:
            root = os.path.join(base, "t%d" % len(built))
            faults.create(root, list(fault_list))
            built[key] = root
        return built[key]
    return template


@pytest.fixture
def lab_copy(lab_templates, tmp_path):
    """``lab_copy(faults)`` -> a private copy of a lab with those faults."""
    count = [0]

    def make(fault_list=()):
        count[0] += 1
        root = os.path.join(str(tmp_path), "lab%d" % count[0])
        shutil.copytree(lab_templates(tuple(_freeze(f) for f in fault_list)), root)
        return root
    return make


def _freeze(item):
    return item if isinstance(item, str) else dict(item)
