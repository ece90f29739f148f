# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the collection's files (tracked and untracked, not ignored) to DEST.

ansible-test needs the collection at .../ansible_collections/ndes/scep and resolves
symlinks, so sanity runs on a staged copy. The copy gets its own git index so that
ansible-test lists exactly these files.
"""
import os
import shutil
import subprocess
import sys

dest = sys.argv[1]
root = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
files = subprocess.check_output(
    ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root, text=True
).split("\0")
if os.path.exists(dest):
    shutil.rmtree(dest)
os.makedirs(dest)
for name in sorted(set(f for f in files if f)):
    source = os.path.join(root, name)
    if not os.path.isfile(source) or os.path.islink(source):
        continue
    target = os.path.join(dest, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(source, target)
git = ["git", "-c", "user.name=stage", "-c", "user.email=stage@localhost", "-c", "init.defaultBranch=main"]
subprocess.check_call(git + ["init", "-q"], cwd=dest)
subprocess.check_call(git + ["add", "-A"], cwd=dest)
subprocess.check_call(git + ["commit", "-q", "-m", "staged for ansible-test"], cwd=dest)
print("staged %d files in %s" % (len(files), dest))
