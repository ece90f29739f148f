# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SetupMsi.log outcome: final status line, locale-free MainEngineThread fallback, encodings."""
from __future__ import annotations

from pathlib import Path

from ansible_collections.ndes.scep.plugins.module_utils._formats.setupmsi import parse_setupmsi

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "setupmsi"


def test_sample_ends_in_success():
    res = parse_setupmsi((FIX / "SetupMsi.log").read_bytes())
    assert res["found"] is True and res["status"] == 0 and res["success"] is True
    assert res["source"] == "status_line" and res["reboot_required"] is False
    assert res["line_no"] == 20
    assert res["line"].startswith("MSI (c) (28:54) [16:13:11:999]: Windows Installer installed the product.")


def test_failed_install_utf16_status_1603():
    data = (FIX / "SetupMsi_failed.utf16.log").read_bytes()
    assert data[:2] == b"\xff\xfe"
    res = parse_setupmsi(data)
    assert (res["found"], res["status"], res["success"], res["source"]) == (True, 1603, False, "status_line")


def test_localized_status_line_falls_back_to_main_engine_thread():
    res = parse_setupmsi((FIX / "SetupMsi_localized_it.log").read_bytes())
    assert (res["found"], res["status"], res["success"], res["source"]) == (True, 0, True, "main_engine_thread")
    assert res["line"].endswith("MainEngineThread is returning 0")


def test_custom_action_codes_are_not_the_outcome():
    res = parse_setupmsi((FIX / "SetupMsi_incomplete.log").read_text())
    assert res == {"found": False, "status": None, "success": None, "reboot_required": None,
                   "source": None, "line_no": None, "line": None}


def test_last_status_line_wins_and_reboot_codes_are_success():
    lines = ["MSI (s) (01:02) [10:00:00:000]: Product: X. Installation success or error status: 1603.",
             "MSI (s) (01:02) [10:05:00:000]: Product: X. Installation success or error status: 3010.",
             "MSI (s) (01:02) [10:05:00:001]: MainEngineThread is returning 3010"]
    res = parse_setupmsi(lines)
    assert (res["status"], res["success"], res["reboot_required"], res["line_no"]) == (3010, True, True, 2)


def test_status_without_final_period_and_engine_line_with_period():
    assert parse_setupmsi("... Installation success or error status: 1625")["status"] == 1625
    res = parse_setupmsi(b"MSI (s) (B0:14) [Time]: MainEngineThread is returning 1603.\r\n")
    assert (res["status"], res["source"]) == (1603, "main_engine_thread")


def test_ansi_bytes_are_read():
    data = "MSI (c) (28:54) [16:13:11:999]: Produit install\xe9. Installation success or error status: 0.\r\n"
    assert parse_setupmsi(data.encode("cp1252"))["status"] == 0
