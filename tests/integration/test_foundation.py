# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plumbing end to end: one agent call through the base class, counted once."""
from __future__ import annotations

import pytest

from labrun import save

PING = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Ask the agent
      ndes.scep.ping:
      register: agent
""" + save("agent")


def _make_lab(lab, name="lab1"):
    from ansible_collections.ndes.scep.plugins.module_utils._lab import faults

    root = lab.add_host(name)
    faults.create(root, [])
    return root


@pytest.mark.smoke
def test_one_agent_call_is_counted_once(lab):
    _make_lab(lab)
    run = lab.run(PING)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.calls("lab1") == 1
    agent = run.result("lab1", "agent")
    assert agent["agent"] == "lab"
    assert agent["contract_version"] == 1
    assert agent["check_mode"] is False
    assert agent["ndes_remote_calls"] == 1


@pytest.mark.smoke
def test_check_mode_reaches_the_agent(lab):
    _make_lab(lab)
    run = lab.run(PING, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("lab1", "agent")["check_mode"] is True
    assert run.calls("lab1") == 1


def test_a_linux_host_without_a_lab_gets_a_clear_error(lab):
    lab.hosts["plain"] = {"ansible_connection": "local", "ansible_python_interpreter": __import__("sys").executable}
    run = lab.run(PING)
    assert run.rc != 0
    assert "ndes_lab_root" in run.stdout
    assert run.calls("plain") == 0


def test_counts_plain_modules_and_loops(lab):
    _make_lab(lab)
    run = lab.run("""
- hosts: all
  gather_facts: true
  tasks:
    - name: Two items, two calls
      ansible.builtin.command: "true"
      loop: [1, 2]
      changed_when: false
    - name: Controller only, no call
      ansible.builtin.set_fact:
        x: 1
""")
    assert run.rc == 0, run.stdout + run.stderr
    assert run.counts["tasks"]["lab1"] == {"Gathering Facts": 1, "Two items, two calls": 2, "Controller only, no call": 0}
    assert run.calls("lab1") == 3
