# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip script ansible-test downloads (these machines are offline).

ansible-test runs this as ``get_pip_<version>.py`` inside a fresh virtualenv with pip
arguments; we bootstrap pip from the standard library and install what was asked.
"""
import ensurepip
import os
import subprocess
import sys

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
# ansible-test runs pip with a reduced environment; keep the machine's CA bundle.
if os.path.exists(CA_BUNDLE) and "--cert" not in args:
    args = ["--cert", CA_BUNDLE] + args
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
