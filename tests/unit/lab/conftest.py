# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the lab NDES tests: a healthy lab built once per session, copied per test."""
from __future__ import annotations

import os
import shutil

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults


@pytest.fixture(scope="session")
def healthy_template(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("lab-template") / "lab")
    faults.create(root, [])
    return root


@pytest.fixture
def healthy_lab(healthy_template, tmp_path):
    """A private copy of a healthy lab (fast: no key generation)."""
    root = str(tmp_path / "lab")
    shutil.copytree(healthy_template, root)
    return root


@pytest.fixture
def make_lab(tmp_path):
    """make_lab(faults) -> root of a new lab with those faults."""
    count = [0]

    def make(fault_list=None, **kwargs):
        count[0] += 1
        root = os.path.join(str(tmp_path), "lab%d" % count[0])
        faults.create(root, fault_list or [], **kwargs)
        return root
    return make
