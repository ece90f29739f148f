# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests."""
from __future__ import annotations

import os

import pytest

from labrun import Lab


@pytest.fixture
def lab(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "tmp"), exist_ok=True)
    return Lab(tmp_path)
