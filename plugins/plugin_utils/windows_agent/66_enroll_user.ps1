# cert_enroll, context user: move a certificate that certreq -accept -user put in
# the agent user's CurrentUser\My, private key included, to LocalMachine\My, as
# Microsoft's procedure does for the Exchange Enrollment Agent (Offline request)
# template (its subject type is User): export with the key, import into the
# computer's store, remove the user's copy. The PKCS#12 blob lives in memory only
# (never written to disk) under a random password (RNGCryptoServiceProvider) held
# in a SecureString:
#   X509Certificate2.Export(X509ContentType.Pkcs12, SecureString)
#   X509Certificate2(byte[], SecureString, MachineKeySet | PersistKeySet [| Exportable])
#   X509Store(My, LocalMachine).Add, X509Store(My, CurrentUser).Remove
# The PFX keeps the key's provider name (a legacy CryptoAPI CSP stays that CSP).
# The user's key container is then deleted: RSACryptoServiceProvider
# (PersistKeyInCsp = false, Clear) for a CSP key, CngKey.Delete for a KSP key.

function New-AgentSecret {
    # A random password (base64 of 32 random bytes) as a read-only SecureString.
    $bytes = New-Object byte[] 32
    $rng = New-Object System.Security.Cryptography.RNGCryptoServiceProvider
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    $secret = New-Object System.Security.SecureString
    foreach ($ch in [System.Convert]::ToBase64String($bytes).ToCharArray()) { $secret.AppendChar($ch) }
    [System.Array]::Clear($bytes, 0, $bytes.Length)
    $secret.MakeReadOnly()
    return $secret
}

function Remove-AgentUserKey {
    # Delete the private key container of a CurrentUser certificate (CSP or KSP); the store entry stays.
    param($Cert)
    $key = $null
    try { $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert) } catch { $key = $null }
    if ($null -eq $key) { return }
    try {
        if ($key -is [System.Security.Cryptography.RSACryptoServiceProvider]) {
            $key.PersistKeyInCsp = $false
            $key.Clear()
        } elseif ($key -is [System.Security.Cryptography.RSACng]) {
            $key.Key.Delete()
        }
    } finally {
        $key.Dispose()
    }
}

function Move-AgentUserCertToMachine {
    # CurrentUser\My -> LocalMachine\My with the private key; the user's copy and key are removed.
    param([string]$Thumbprint, [bool]$Exportable)
    $userStore = Open-AgentCertStore -Name 'My' -Location 'CurrentUser' -Write
    try {
        $cert = Find-AgentCert -Store $userStore -Thumbprint $Thumbprint
        if ($null -eq $cert) {
            throw (New-AgentError -Code 'io_error' -Text ('certreq -accept -user reported success but {0} is not in CurrentUser\My' -f $Thumbprint))
        }
        if (-not $cert.HasPrivateKey) {
            throw (New-AgentError -Code 'precondition' -Text ('certificate {0} in CurrentUser\My has no private key to move' -f $Thumbprint))
        }
        $secret = New-AgentSecret
        $pfx = $null
        try {
            try {
                $pfx = $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs12, $secret)
            } catch [System.Security.Cryptography.CryptographicException] {
                throw (New-AgentError -Code 'precondition' -Text ('the private key of {0} cannot be exported (the request did not make it exportable): it stays in CurrentUser\My of the agent user; delete it there and enrol again' -f $Thumbprint))
            }
            $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::MachineKeySet -bor
                     [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::PersistKeySet
            if ($Exportable) { $flags = $flags -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable }
            $machineCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($pfx, $secret, $flags)
            try {
                $machineStore = Open-AgentCertStore -Name 'My' -Write
                try { $machineStore.Add($machineCert) } finally { $machineStore.Close() }
            } finally {
                $machineCert.Dispose()
            }
        } finally {
            if ($null -ne $pfx) { [System.Array]::Clear($pfx, 0, $pfx.Length) }
            $secret.Dispose()
        }
        Remove-AgentUserKey -Cert $cert
        $userStore.Remove($cert)
    } finally {
        $userStore.Close()
    }
}
