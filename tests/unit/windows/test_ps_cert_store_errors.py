# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate store and key file lookups: an unopenable store is not a missing one; up-converted CAPI keys."""
from __future__ import annotations

import re

import ps_tools


def _code(name):
    """The function's text with comments blanked (strings kept)."""
    source, node = ps_tools.agent_function(name)
    return ps_tools.comment_mask(source[node.start_byte:node.end_byte].decode("utf-8"))


def test_store_open_access_denied_is_not_reported_as_a_missing_store():
    # X509Store.Open throws CryptographicException for every CertOpenStore failure ("The store cannot be
    # opened as requested"), E_ACCESSDENIED (0x80070005) included: it must be rethrown before not_found.
    code = _code("Open-AgentCertStore")
    catch = code.index("catch [System.Security.Cryptography.CryptographicException]")
    rethrow = code.index("Test-AgentAccessDeniedHResult", catch)
    not_found = code.index("'not_found'", catch)
    assert rethrow < not_found
    assert re.search(r"if\s*\(\s*Test-AgentAccessDeniedHResult\s+-Failure\s+\$_\s*\)\s*\{\s*throw\s*\}", code)
    helper = _code("Test-AgentAccessDeniedHResult")
    assert "-2147024891" in helper and "Get-AgentExceptionChain -Failure $Failure" in helper   # every wrapped one


def test_cng_opened_key_is_looked_for_in_rsa_machinekeys_too():
    # GetRSAPrivateKey up-converts software CAPI keys to RSACng (CRYPT_ACQUIRE_ONLY_NCRYPT_KEY_FLAG); their
    # files stay in Crypto\RSA\MachineKeys, so the CNG branch must look there as well as in Keys / SystemKeys.
    code = _code("Get-AgentCertKeyInfo")
    branch = code[code.index("$cng = $key.Key"):]
    for folder in ("'Keys\\' + $unique", "'SystemKeys\\' + $unique", "'RSA\\MachineKeys\\' + $unique"):
        assert folder in branch, folder


def test_cert_move_opens_the_target_store_before_check_mode_and_the_backup():
    # OpenExistingOnly: a misspelled target store fails not_found in check mode too, and before any backup
    code = _code("Invoke-EnsureCertMove")
    probe = code.index("(Open-AgentCertStore -Name $target).Close()")
    assert probe < code.index("if ($script:Ctx.Check)") < code.index("Save-AgentBackupBytes")
    assert probe > code.index("Test-AgentGpoPlacedRoot")
