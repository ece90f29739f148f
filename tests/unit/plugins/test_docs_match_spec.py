# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every action-backed module's DOCUMENTATION must agree with its action plugin's spec.

validate-modules cannot compare a docs-only module file with the action plugin that
validates its arguments, so this test does.
"""
from __future__ import annotations

import importlib
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ACTIONS = sorted(
    name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "action"))
    if name.endswith(".py") and not name.startswith("_")
)
DOC_KEYS = ("type", "required", "default", "choices", "elements", "aliases", "no_log")


def _docs(name):
    module = importlib.import_module("ansible_collections.ndes.scep.plugins.modules.%s" % name)
    docs = yaml.safe_load(module.DOCUMENTATION)
    options = dict(docs.get("options") or {})
    for fragment in docs.get("extends_documentation_fragment") or []:
        assert fragment.startswith("ndes.scep."), "only our own fragments are resolved here: %s" % fragment
        frag = importlib.import_module("ansible_collections.ndes.scep.plugins.doc_fragments.%s" % fragment[10:])
        options.update(yaml.safe_load(frag.ModuleDocFragment.DOCUMENTATION)["options"])
    docs["options"] = options
    return docs


def _spec(name):
    module = importlib.import_module("ansible_collections.ndes.scep.plugins.action.%s" % name)
    return module.ActionModule.ARGUMENT_SPEC


def normalise_doc(options):
    out = {}
    for opt, doc in (options or {}).items():
        entry = {k: doc[k] for k in DOC_KEYS if k in doc}
        entry.setdefault("type", "str")
        entry.setdefault("required", False)
        if doc.get("suboptions"):
            entry["options"] = normalise_doc(doc["suboptions"])
        out[opt] = _drop_falsy(entry)
    return out


def normalise_spec(spec):
    out = {}
    for opt, sp in (spec or {}).items():
        entry = {k: sp[k] for k in DOC_KEYS if k in sp}
        entry.setdefault("type", "str")
        entry.setdefault("required", False)
        if sp.get("options"):
            entry["options"] = normalise_spec(sp["options"])
        out[opt] = _drop_falsy(entry)
    return out


def _drop_falsy(entry):
    return {k: v for k, v in entry.items() if not (k in ("required", "no_log") and v is False) and v is not None}


def test_every_action_has_docs():
    assert ACTIONS, "no action plugins found"
    for name in ACTIONS:
        assert os.path.exists(os.path.join(ROOT, "plugins", "modules", name + ".py")), name


@pytest.mark.parametrize("name", ACTIONS)
def test_docs_and_spec_agree(name):
    assert normalise_doc(_docs(name).get("options")) == normalise_spec(_spec(name))


def test_comparison_catches_a_difference():
    docs = {"limit": {"description": "x", "type": "int", "default": 65534}}
    spec = {"limit": {"type": "int", "default": 65535}}
    assert normalise_doc(docs) != normalise_spec(spec)
    assert normalise_doc({"a": {"description": "x"}}) != normalise_spec({"a": {"type": "str", "required": True}})
