# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.9 (agent side): one run at a time changes a host.

Lab: the per-host lock is an flock on run/agent.lock held for a request's ensures. A run that finds it
held waits; past the timeout its ensures fail with code ``locked`` and a message that says to retry,
and nothing changes. Windows: the agent parts take a named mutex (``Global\\ndes.scep``), wait 60 s,
take over an abandoned one, and release it in a ``finally`` (checked on the PowerShell source).
"""
from __future__ import annotations

import fcntl
import os
import re
import sys
import threading
import time

from safety_harness import run_action

from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, layout

WINDOWS_TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "windows")
if WINDOWS_TESTS not in sys.path:
    sys.path.insert(0, WINDOWS_TESTS)
import ps_tools  # noqa: E402


def _hold(root):
    os.makedirs(layout.path(root, layout.RUN), exist_ok=True)
    handle = open(layout.path(root, layout.AGENT_LOCK), "a+")
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def test_a_run_that_finds_the_lock_held_fails_clearly_and_changes_nothing(lab_copy):
    root = lab_copy(["request_limits"])
    digest = layout.state_digest(root)
    held = _hold(root)
    try:
        out = run_action("request_limits", {}, root, lock_timeout=0.3)
    finally:
        held.close()
    assert out.result["failed"] is True
    assert "locked" in out.result["msg"] and "another run holds" in out.result["msg"] and "retry" in out.result["msg"]
    assert layout.state_digest(root) == digest
    assert out.result["changes"] == [] and out.result["backup"] is None
    # the lock released, the same task converges
    assert run_action("request_limits", {}, root).result["changed"] is True


def test_a_run_waits_for_the_lock_then_proceeds(lab_copy):
    root = lab_copy(["request_limits"])
    held = _hold(root)
    timer = threading.Timer(1.0, held.close)
    timer.start()
    started = time.monotonic()
    try:
        out = run_action("request_limits", {}, root, lock_timeout=agent.LOCK_TIMEOUT)
    finally:
        timer.cancel()
        held.close()
    assert time.monotonic() - started >= 0.9
    assert out.result.get("failed") is not True and out.result["changed"] is True


def test_reads_do_not_wait_for_the_lock(lab_copy):
    root = lab_copy([])
    held = _hold(root)
    try:
        started = time.monotonic()
        out = run_action("info", {}, root, lock_timeout=5)
        assert time.monotonic() - started < 4 and out.result.get("failed") is not True
    finally:
        held.close()


# ------------------------------------------------------------------ Windows agent: the named mutex
def _code(name):
    return ps_tools.read(os.path.join(ps_tools.AGENT_DIR, name))


def test_windows_agent_names_a_global_mutex_and_waits_60_seconds():
    text = _code("60_backup.ps1")
    assert re.search(r"^\$script:LockName = 'Global\\ndes\.scep'$", text, re.M)
    assert re.search(r"^\$script:LockTimeoutMs = 60000$", text, re.M)
    assert agent.LOCK_TIMEOUT == 60.0                      # the lab waits as long
    body = _function(text, "Enter-AgentLock")
    assert re.search(r"New-Object System\.Threading\.Mutex \(\$false, \$script:LockName\)", body)
    assert re.search(r"\$mutex\.WaitOne\(\$script:LockTimeoutMs\)", body)
    assert re.search(r"catch \[System\.Threading\.AbandonedMutexException\] \{\s*return \$mutex", body)
    assert "$mutex.Dispose()" in body and "return $null" in body
    release = _function(text, "Exit-AgentLock")
    assert re.search(r"try \{ \$Mutex\.ReleaseMutex\(\) \} finally \{ \$Mutex\.Dispose\(\) \}", release)


def test_windows_agent_holds_the_mutex_only_around_the_ensures_and_always_releases_it():
    text = _code("99_main.ps1")
    source = text.encode("utf-8")
    tries = [n for n in ps_tools.walk(ps_tools.parse(text).root_node) if n.type == "try_statement"]
    holding = []
    for node in tries:
        body = source[node.start_byte:node.end_byte].decode("utf-8")
        finally_nodes = [c for c in node.children if c.type == "finally_clause"]
        if "Enter-AgentLock" in body and finally_nodes:
            final = source[finally_nodes[0].start_byte:finally_nodes[0].end_byte].decode("utf-8")
            holding.append("Exit-AgentLock -Mutex $lock" in final)
    assert holding == [True]
    # taken only when the request asks, once, for ensures (reads never wait)
    assert re.search(r"if \(\[bool\]\$request\['lock'\] -and \$null -eq \$lock -and -not \$lockedOut\) \{\s*"
                     r"\$lock = Enter-AgentLock", text)
    assert text.index("Enter-AgentLock") > text.index("'read'")
    assert re.search(r"-Code 'locked' -Text \('another run holds the host lock", text)


def _function(text, name):
    start = text.index("function %s {" % name)
    end = text.find("\nfunction ", start + 1)
    return text[start:end if end > 0 else len(text)]
