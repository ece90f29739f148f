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
        options.update(_fragment(fragment[10:]).get("options") or {})
    docs["options"] = options
    return docs


def _fragment(name):
    """A fragment's YAML as ansible resolves it: ``settings`` (DOCUMENTATION) or ``attributes.fix`` (its FIX)."""
    package = "ansible_collections.ndes.scep.plugins.doc_fragments."
    try:
        frag, var = importlib.import_module(package + name), "DOCUMENTATION"
    except ImportError:
        module, var = name.rsplit(".", 1)
        frag, var = importlib.import_module(package + module), var.upper()
    return yaml.safe_load(getattr(frag.ModuleDocFragment, var))


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


@pytest.mark.parametrize("name", sorted(
    name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py")))
def test_every_module_documents_its_attributes(name):
    docs = _docs(name)
    attributes = {}
    for fragment in docs.get("extends_documentation_fragment") or []:
        attributes.update(_fragment(fragment[10:]).get("attributes") or {})
    for key, value in (docs.get("attributes") or {}).items():   # the module's own keys win, as in ansible
        attributes[key] = dict(attributes.get(key) or {}, **value)
    assert {"check_mode", "diff_mode", "platform"} <= set(attributes)
    for key, value in attributes.items():
        assert value.get("description") and value.get("support") in ("full", "partial", "none", "N/A"), (key, value)
    assert attributes["platform"].get("platforms")


def test_comparison_catches_a_difference():
    docs = {"limit": {"description": "x", "type": "int", "default": 65534}}
    spec = {"limit": {"type": "int", "default": 65535}}
    assert normalise_doc(docs) != normalise_spec(spec)
    assert normalise_doc({"a": {"description": "x"}}) != normalise_spec({"a": {"type": "str", "required": True}})
