# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / AAP execution environment: ansible-builder makes its build context offline (no image is built)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
EE_DIR = os.path.join(ROOT, "execution-environment")
BUILDER = os.path.join(BIN, "ansible-builder")


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The repository's EE definition next to its requirements, the collection artifact, the build context."""
    if not os.path.exists(BUILDER):
        pytest.skip("ansible-builder is not installed in %s (make venv installs it)" % BIN)
    base = tmp_path_factory.mktemp("ee")
    shutil.copytree(EE_DIR, str(base / "execution-environment"))
    for name in ("requirements.txt", "bindep.txt"):
        shutil.copy(os.path.join(ROOT, name), str(base / name))
    built = run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                 "--output-path", str(base / "execution-environment"), ROOT], cwd=str(base))
    assert built.returncode == 0, built.stdout + built.stderr
    out = run([BUILDER, "create", "-f", str(base / "execution-environment" / "execution-environment.yml"),
               "--output-filename", "Containerfile", "-c", str(base / "context")], cwd=str(base))
    assert out.returncode == 0, out.stdout + out.stderr
    return base


def test_definition_is_schema_3_with_the_dependencies():
    with open(os.path.join(EE_DIR, "execution-environment.yml"), encoding="utf-8") as handle:
        ee = yaml.safe_load(handle)
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"].startswith(("quay.io/ansible/awx-ee", "quay.io/ansible/creator-ee"))
    deps = ee["dependencies"]
    assert {"ansible_core", "ansible_runner", "python", "system", "galaxy"} <= set(deps)
    with open(os.path.join(EE_DIR, deps["galaxy"]), encoding="utf-8") as handle:
        assert "ansible.windows" in [c["name"] for c in yaml.safe_load(handle)["collections"]]
    # the same Python and system requirements the collection declares for introspection
    with open(os.path.join(ROOT, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)["dependencies"]
    assert os.path.basename(deps["python"]) == meta["python"] and os.path.basename(deps["system"]) == meta["system"]


def test_build_context_has_everything_the_image_needs(context):
    ctx = context / "context"
    containerfile = (ctx / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/ansible/awx-ee' in containerfile
    assert "ansible-core>=2.16" in containerfile and "ansible-runner>=2.4" in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "/build/collections/ndes-scep-*.tar.gz" in containerfile
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "pywinrm" in (ctx / "_build" / "requirements.txt").read_text()
    assert "krb5" in (ctx / "_build" / "bindep.txt").read_text()
    assert "ansible.windows" in (ctx / "_build" / "requirements.yml").read_text()
    artifacts = glob.glob(str(ctx / "_build" / "collections" / "ndes-scep-*.tar.gz"))
    assert len(artifacts) == 1


def test_collection_artifact_carries_roles_and_playbooks_not_venvs(context):
    artifact = glob.glob(str(context / "context" / "_build" / "collections" / "ndes-scep-*.tar.gz"))[0]
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
    for needed in ("roles/remediate/tasks/main.yml", "roles/diagnose/meta/argument_specs.yml",
                   "roles/lab/defaults/main.yml", "playbooks/demo.yml", "playbooks/rollback.yml",
                   "plugins/action/report.py", "meta/execution-environment.yml", "requirements.txt", "bindep.txt"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith((".venv", ".build", "tests/output", "demo-output"))]
