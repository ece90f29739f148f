# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows agent's ``if_changed`` (static: no PowerShell here): op spec, request check, skip point, skipped result."""
from __future__ import annotations

import os
import re

import ps_tools
from ansible_collections.ndes.scep.plugins.module_utils._agent import contract

REQUEST = ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "15_request.ps1"))
DISPATCH = ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "90_dispatch.ps1"))
MAIN = ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "99_main.ps1"))


def _function(text, name):
    start = text.index("function %s {" % name)
    end = text.index("\n}\n", start)
    return text[start:end + 2]


def _spec(text):
    return dict(part.strip().split("=", 1) for part in text.split(";") if part.strip())


def test_the_op_spec_is_the_contracts():
    found = re.search(r"\$opSpec = ConvertFrom-AgentSpec -Text '([^']*)'", REQUEST)
    assert found and _spec(found.group(1)) == contract.OP_SPEC


def test_the_request_check_refuses_what_the_python_validator_refuses():
    reader = _function(REQUEST, "Read-AgentRequest")
    assert "Test-AgentIfChangedNames -Names $op['if_changed']" in reader
    # ensures are remembered only AFTER their own check: an op cannot name itself or a later op
    assert reader.index("Test-AgentIfChangedNames") < reader.index("[void]$ensures.Add($key)")
    check = _function(REQUEST, "Test-AgentIfChangedNames")
    for text in ("only an ensure can be conditional (reads always run)", "name at least one earlier ensure",
                 "is not an earlier ensure of this request"):
        assert text in check
    assert "-Code 'invalid_request'" in check


def test_the_skip_comes_after_the_failure_check_and_before_the_lock_and_the_handler():
    masked = ps_tools.comment_mask(MAIN)
    loop = masked[masked.index("foreach ($op in $request['ops'])"):]
    failed, skip = loop.index("if ($failed)"), loop.index("Test-AgentIfChanged -Op $op")
    assert failed < skip < loop.index("Enter-AgentLock") < loop.rindex("$result = Invoke-AgentOp -Op $op")
    block = loop[skip:loop.index("continue", skip)]
    assert "New-AgentSkippedResult -Op $op" in block and "$script:ResultsById[" in block and "$results.Add(" in block


def test_the_skipped_result_is_the_contracts():
    body = _function(DISPATCH, "New-AgentSkippedResult")
    found = re.search(r"\[ordered\]@\{(.*)\}", body)
    fields = dict(re.findall(r"(\w+) = ([^;]+?)(?:;|$)", found.group(1).strip()))
    expected = contract.skipped_result({"id": "x", "kind": "iis_reset"})
    assert list(fields) == list(expected)
    assert fields["status"] == "'ok'" and fields["changed"] == "$false" and fields["skipped"] == "$true"
    assert fields["before"] == fields["after"] == "[ordered]@{}"


def test_changed_is_read_as_a_boolean_from_earlier_results():
    body = _function(DISPATCH, "Test-AgentIfChanged")
    assert "$script:ResultsById" in body and "$Op['if_changed']" in body
    assert "$earlier['changed'] -is [bool]" in body          # a changed that is not a real true never counts
