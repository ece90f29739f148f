# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the offline get-pip stand-in where this ansible-test looks for its cached copy."""
import os
import re
import shutil
import sys

import ansible_test

source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
with open(source, encoding="utf-8") as handle:
    versions = set(re.findall(r"pip='([0-9.]+)'", handle.read()))
if not versions:
    sys.exit("cannot find the pip version ansible-test bootstraps in %s" % source)
cache = os.path.expanduser("~/.ansible/test/cache")
os.makedirs(cache, exist_ok=True)
shim = os.path.join(os.path.dirname(os.path.abspath(__file__)), "offline_get_pip.py")
for version in sorted(versions):
    target = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    shutil.copyfile(shim, target)
    print("ansible-test get-pip stand-in: %s" % target)
