# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo`: write a lab inventory and run ansible-playbook ndes.scep.demo against it."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.environ.get("NDES_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)
# Lines of ansible-playbook output worth showing while the demo runs.
SHOW = ("PLAY [", "TASK [", "RUNNING HANDLER [", "changed:", "fatal:", "failed:", "remote calls:", "\"msg\"",
        "PLAY RECAP", "ok=", "[WARNING]", "[ERROR]")


def inventory(path, lab_root):
    """One lab host: this machine, through the venv's Python (it has cryptography), lab under lab_root."""
    doc = {"all": {"hosts": {"localhost": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "ndes_lab_root": lab_root,
    }}}}
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# Written by tests/tools/demo.py (make demo)\n")
        json.dump(doc, handle, indent=2)   # JSON is YAML
        handle.write("\n")


def stop_lab_server(lab_root):
    """Safety net when the playbook stopped early: never leave the lab's HTTP face running."""
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    try:
        from ansible_collections.ndes.scep.plugins.module_utils._lab import server
        if server.status(lab_root).get("running"):
            server.stop(lab_root)
            print("demo: stopped the lab server left running")
    except Exception as exc:  # pylint: disable=broad-except
        print("demo: could not check the lab server (%s)" % exc)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=os.path.join(os.getcwd(), "demo-output"),
                        help="directory for the inventory, the lab, the reports and the logs (default ./demo-output)")
    parser.add_argument("--verbose", action="store_true", help="show the whole ansible-playbook output")
    args = parser.parse_args(argv)
    output = os.path.abspath(args.output)
    lab_root = os.path.join(output, "lab")
    os.makedirs(output, exist_ok=True)
    inv = os.path.join(output, "inventory.yml")
    inventory(inv, lab_root)
    log_path = os.path.join(output, "ansible-playbook.log")
    counts_path = os.path.join(output, "remote-calls.json")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CALLBACKS_ENABLED": "ndes.scep.remote_calls",
        "NDES_REMOTE_CALLS_FILE": counts_path,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(output, "tmp"),
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    cmd = [os.path.join(BIN, "ansible-playbook"), "ndes.scep.demo", "-i", inv,
           "-e", json.dumps({"ndes_demo_output": output})]
    print("demo: inventory %s (lab %s)" % (inv, lab_root))
    print("demo: %s" % " ".join(cmd))
    start = time.monotonic()
    rc = 1
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, env=env, cwd=output, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, bufsize=1)
            for line in proc.stdout:
                log.write(line)
                if args.verbose or line.lstrip().startswith(SHOW) or line.startswith(("    \"", "        \"")):
                    sys.stdout.write(line)
                    sys.stdout.flush()
            rc = proc.wait()
    finally:
        stop_lab_server(lab_root)
    elapsed = time.monotonic() - start
    reports = os.path.join(output, "reports")
    print("")
    print("demo: %s in %.0f s (full log: %s)" % ("finished" if rc == 0 else "FAILED (rc=%d)" % rc, elapsed, log_path))
    for phase in ("1-diagnose", "2-remediate", "3-diagnose-again"):
        html = os.path.join(reports, phase, "report.html")
        if os.path.exists(html):
            print("demo: report %-17s %s" % (phase, html))
    if os.path.exists(counts_path):
        with open(counts_path, encoding="utf-8") as handle:
            print("demo: remote calls per host: %s" % json.load(handle).get("hosts"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
