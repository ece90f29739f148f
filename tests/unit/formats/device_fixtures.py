# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load device-log fixtures without their provenance ('===') lines, which real logs do not have."""
from __future__ import annotations

from pathlib import Path

DEVICE = Path(__file__).resolve().parents[1] / "fixtures" / "device"


def device_log(name):
    text = (DEVICE / name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("===")) + "\n"


def device_bytes(name):
    return (DEVICE / name).read_bytes()
