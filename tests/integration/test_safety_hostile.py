# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.1 through ansible-playbook: a lab whose IIS site and SCEP pool carry hostile names.

The lab's site is renamed to text with quotes, ``$()``, backticks, ``;`` and non-ASCII, and its
SCEP application pool likewise; a rules file lives at a path made of the same kind of text. One
playbook run then diagnoses and repairs that lab through the modules, passing those names as
options (from a vars file, so no shell or Jinja sees them), and writes a hostile template name
(newline, NUL, 5000 characters included). Every name must round-trip intact through the agent
(module args -> JSON -> lab agent -> results), the template must land byte-exact in the lab
registry, and the hostile options that cannot be right are refused with a message.
"""
from __future__ import annotations

import json
import os

import pytest
from labrun import save
from safety_lab import failure_text, make, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import iis, iisxml, layout, pools, registry, store

pytestmark = pytest.mark.integration

SITE = "Servizio NDES \u00e8 $(Stop-Service W3SVC) `whoami` 'a' \"b\"; x & y"
POOL = "SCEP \u00e8 $(Remove-Item C:\\ -Recurse) `id` 'q' \"d\"; #"
TEMPLATE = "NDES \u00e8 $(calc) `id` 'q' \"d\"; & | <x>\nline2\x00after-nul " + "T" * 5000
RULES_DIR = "rules \u00e8 $(touch pwned) `id` 'q' \"d\"; & x"
HOSTILE_RIGHT = "SeImpersonatePrivilege\r\nSeDebugPrivilege = *S-1-1-0"
CUSTOM_RULE = """schema: 1
rules:
  - id: CUSTOM_HOSTILE_NAMES
    severity: info
    section: null
    when: "ndes.scep_pool.exists == `true`"
    evidence:
      pool: ndes.scep_pool.name
    needs: [scep_pool]
    fix: {module: null, variable: null, auto_fixable: false}
    title:
      en: "Pool named with hostile text $(x) `y` \u00e8"
      it: "Pool con un nome ostile $(x) `y` \u00e8"
    next_step:
      en: Nothing to do; this rule only shows a rules file at a hostile path is read as data.
      it: Niente da fare.
"""

PLAY = """
- hosts: all
  gather_facts: false
  vars_files:
    - hostile-vars.json
  tasks:
    - name: Facts of the hostile site and pool
      ndes.scep.info:
        site: "{{ h_site }}"
        scep_pool: "{{ h_pool }}"
      register: before
    - name: Diagnose with a rules file at a hostile path
      ndes.scep.diagnose:
        site: "{{ h_site }}"
        scep_pool: "{{ h_pool }}"
        probe: false
        rules_files: ["{{ h_rules }}"]
      register: diag
    - name: Start the hostile pool
      ndes.scep.app_pool:
        name: "{{ h_pool }}"
        facts: "{{ before.ndes }}"
      register: pool
    - name: Raise the request limits of the hostile site
      ndes.scep.request_limits:
        site: "{{ h_site }}"
        scope: [iis]
      register: limits
    - name: Recycle the hostile pool
      ndes.scep.iis_restart:
        pools: ["{{ h_pool }}"]
      register: recycle
    - name: Write a hostile template name
      ndes.scep.mscep_templates:
        template: "{{ h_template }}"
      register: templates
    - name: Write it again
      ndes.scep.mscep_templates:
        template: "{{ h_template }}"
      register: templates_again
    - name: Facts afterwards
      ndes.scep.info:
        site: "{{ h_site }}"
        scep_pool: "{{ h_pool }}"
      register: after
    - name: A right that is not a constant
      ndes.scep.user_right:
        right: "{{ h_right }}"
      register: bad_right
      ignore_errors: true
    - name: A lab host name that is not a computer name
      ndes.scep.lab:
        hostname: "{{ h_site }}"
      register: bad_lab
      ignore_errors: true
""" + "".join(save(n) for n in ("before", "diag", "pool", "limits", "recycle", "templates", "templates_again",
                                "after", "bad_right", "bad_lab"))


def rename(root, site, pool):
    """Give the lab's Default Web Site and SCEP pool new names everywhere IIS keeps them."""
    path = layout.win_to_lab(root, layout.APPHOST_CONFIG)
    doc = iisxml.load(path, cached=False)
    for node in doc.root.iter():
        if node.tag == "site" and node.get("name") == "Default Web Site":
            node.set("name", site)
        if node.tag == "location" and (node.get("path") or "").startswith("Default Web Site"):
            node.set("path", site + node.get("path")[len("Default Web Site"):])
        if node.tag == "add" and node.get("name") == "SCEP":
            node.set("name", pool)
        if node.get("applicationPool") == "SCEP":
            node.set("applicationPool", pool)
    doc.save()
    runtime = pools.runtime(root)
    runtime[pool] = runtime.pop("SCEP", {"state": "Stopped"})
    pools.save_runtime(root, runtime)
    iisxml._CACHE.clear()


def test_hostile_site_pool_template_and_rules_path(lab):
    roots = make(lab, {"hostile": ["app_pool_stopped", {"id": "request_limits", "variant": "apphost"},
                                   {"id": "mscep_templates", "variant": "ipsec"}]})
    root = roots["hostile"]
    rename(root, SITE, POOL)
    assert pools.find(root, POOL) == POOL and iis.physical_path(root, SITE) is not None
    rules_dir = os.path.join(lab.base, RULES_DIR)
    os.makedirs(rules_dir)
    rules_file = os.path.join(rules_dir, "r\u00e8gles $(x) `y`.yml")
    with open(rules_file, "w", encoding="utf-8") as handle:
        handle.write(CUSTOM_RULE)
    with open(os.path.join(lab.base, "hostile-vars.json"), "w", encoding="utf-8") as handle:
        json.dump({"h_site": SITE, "h_pool": POOL, "h_template": TEMPLATE, "h_rules": rules_file,
                   "h_right": HOSTILE_RIGHT}, handle)
    lab_record = store.read_bytes(layout.path(root, layout.LAB_JSON))

    run = lab.run(PLAY)
    assert run.rc == 0, failure_text(run)
    r = dict((name, run.result("hostile", name)) for name in (
        "before", "diag", "pool", "limits", "recycle", "templates", "templates_again", "after", "bad_right",
        "bad_lab"))
    checks = []

    def check(what, ok):
        checks.append((what, bool(ok)))

    before, after = r["before"]["ndes"], r["after"]["ndes"]
    check("facts name the hostile pool intact", before["scep_pool"]["name"] == POOL)
    check("facts find the hostile pool stopped", before["scep_pool"]["started"] is False)
    check("facts read the hostile site's limits", before["iis"]["request_limits"]["ok"] is False)
    ids = set(f["id"] for f in r["diag"]["findings"])
    check("diagnose finds the faults of the hostile site and pool", {"APP_POOL_STOPPED", "REQUEST_LIMITS"} <= ids)
    check("the rules file at a hostile path is read", "CUSTOM_HOSTILE_NAMES" in ids)
    custom = [f for f in r["diag"]["findings"] if f["id"] == "CUSTOM_HOSTILE_NAMES"]
    check("the hostile pool name round-trips into the finding's evidence",
          custom and custom[0]["evidence"].get("pool") == POOL)
    check("app_pool started the hostile pool", r["pool"]["changed"] and after["scep_pool"]["started"] is True)
    check("request_limits fixed the hostile site", r["limits"]["changed"] and after["iis"]["request_limits"]["ok"])
    check("iis_restart recycled the hostile pool", r["recycle"]["changed"] is True)
    stored = [registry.get_value(registry.load(root), r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP", n)["value"]
              for n in ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")]
    check("the template name is stored byte-exact in the lab registry", stored == [TEMPLATE.strip()] * 3)
    check("writing it again changes nothing", r["templates_again"]["changed"] is False)
    check("a right with a newline is refused",
          r["bad_right"]["failed"] and "not a user right constant" in r["bad_right"]["msg"])
    check("a hostile lab host name is refused",
          r["bad_lab"]["failed"] and "not a Windows computer name" in r["bad_lab"]["msg"])
    check("the refused lab call left the lab as it was", store.read_bytes(layout.path(root, layout.LAB_JSON))
          == lab_record)
    failed = [what for what, ok in checks if not ok]
    safety_figures.record(
        "1-hostile-lab", "1c", "Hostile names through ansible-playbook: a lab whose IIS site and SCEP pool are "
        "named with hostile text, a rules file at a hostile path, a hostile template name",
        "%d round trips and refusals checked over 10 module calls (info, diagnose, app_pool, request_limits, "
        "iis_restart, mscep_templates x2, user_right, lab)" % len(checks),
        len(failed), {"hostile_inputs": 6}, lost_what="checks that failed")
    assert not failed, "%s\n%s" % (failed, json.dumps(r, default=str)[:3000])
