# Certificates: .NET X509Store (LocalMachine by store name, IncludeArchived),
# X509Chain, and a tiny DER reader for extensions decoded from RawData bytes
# (X509Extension.Format() and Oid names are localized):
#   1.3.6.1.4.1.311.21.7  template: SEQUENCE { OID, INTEGER major, INTEGER minor }
#   1.3.6.1.4.1.311.20.2  v1 template name: BMPString
#   2.5.29.17             SAN: dNSName [2] IA5String
#   2.5.29.31 / 1.3.6.1.5.5.7.1.1  CDP / AIA: uniformResourceIdentifier [6] anywhere
#   2.5.29.37 EKU through X509EnhancedKeyUsageExtension (OID values)
#   2.5.29.15 key usage through X509KeyUsageExtension (flags -> RFC 5280 names)
# Private keys, CNG-aware: RSACertificateExtensions.GetRSAPrivateKey /
# ECDsaCertificateExtensions.GetECDsaPrivateKey -> RSACng/ECDsaCng .Key.UniqueName
# (%ProgramData%\Microsoft\Crypto\Keys) or RSACryptoServiceProvider
# .CspKeyContainerInfo.UniqueKeyContainerName (...\Crypto\RSA\MachineKeys). Never .PrivateKey.
# Reads: cert_store, cert_chain. Ensures: cert_move, cert_archive, key_acl_grant.
# Restore-only: cert_unarchive, key_acl_set.

$script:KnownStores = @('My', 'Root', 'CA', 'TrustedPeople', 'TrustedPublisher', 'Disallowed', 'REQUEST')
$script:ChainFlagOrder = @('NotTimeValid', 'Revoked', 'NotSignatureValid', 'NotValidForUsage', 'UntrustedRoot',
    'RevocationStatusUnknown', 'PartialChain', 'OfflineRevocation')
$script:KeyUsageNames = [ordered]@{
    DigitalSignature = 'digital_signature'; NonRepudiation = 'content_commitment'; KeyEncipherment = 'key_encipherment'
    DataEncipherment = 'data_encipherment'; KeyAgreement = 'key_agreement'; KeyCertSign = 'key_cert_sign'
    CrlSign = 'crl_sign'; EncipherOnly = 'encipher_only'; DecipherOnly = 'decipher_only'
}

# ------------------------------------------------------------------ DER
function Read-AgentDer {
    # One TLV at Offset: @{tag; start (content); length; end}.
    param([byte[]]$Bytes, [int]$Offset)
    if ($Offset + 2 -gt $Bytes.Length) { throw (New-AgentError -Code 'internal' -Text 'DER: truncated header') }
    $tag = [int]$Bytes[$Offset]
    $first = [int]$Bytes[$Offset + 1]
    $pos = $Offset + 2
    $length = 0
    if ($first -lt 128) {
        $length = $first
    } else {
        $count = $first -band 127
        if ($count -gt 4 -or $pos + $count -gt $Bytes.Length) { throw (New-AgentError -Code 'internal' -Text 'DER: bad length') }
        for ($i = 0; $i -lt $count; $i++) { $length = $length * 256 + [int]$Bytes[$pos + $i] }
        $pos += $count
    }
    if ($pos + $length -gt $Bytes.Length) { throw (New-AgentError -Code 'internal' -Text 'DER: content runs past the end') }
    return @{ tag = $tag; start = $pos; length = $length; end = $pos + $length }
}

function Get-AgentDerChildren {
    param([byte[]]$Bytes, $Tlv)
    $out = New-Object System.Collections.Generic.List[object]
    $pos = $Tlv['start']
    while ($pos -lt $Tlv['end']) {
        $child = Read-AgentDer -Bytes $Bytes -Offset $pos
        $out.Add($child)
        $pos = $child['end']
    }
    return , $out
}

function ConvertFrom-AgentDerOid {
    # Dotted OID text; arcs are BigIntegers (UUID arcs under 2.25 exceed 64 bits).
    param([byte[]]$Bytes, $Tlv)
    $ids = New-Object System.Collections.Generic.List[string]
    $value = [bigint]::Zero
    $firstDone = $false
    for ($i = $Tlv['start']; $i -lt $Tlv['end']; $i++) {
        $b = [int]$Bytes[$i]
        $value = [bigint]::Add([bigint]::Multiply($value, [bigint]128), [bigint]($b -band 127))
        if (($b -band 128) -eq 0) {
            if (-not $firstDone) {
                $head = 2
                if ([bigint]::Compare($value, [bigint]40) -lt 0) { $head = 0 } elseif ([bigint]::Compare($value, [bigint]80) -lt 0) { $head = 1 }
                $ids.Add([string]$head)
                $ids.Add([bigint]::Subtract($value, [bigint](40 * $head)).ToString())
                $firstDone = $true
            } else {
                $ids.Add($value.ToString())
            }
            $value = [bigint]::Zero
        }
    }
    return ($ids -join '.')
}

function ConvertFrom-AgentDerText {
    # BMPString (0x1E), UTF8String (0x0C), PrintableString / IA5String (0x13 / 0x16).
    param([byte[]]$Bytes, $Tlv)
    if ($Tlv['tag'] -eq 30) { return [System.Text.Encoding]::BigEndianUnicode.GetString($Bytes, $Tlv['start'], $Tlv['length']) }
    if ($Tlv['tag'] -eq 12) { return [System.Text.Encoding]::UTF8.GetString($Bytes, $Tlv['start'], $Tlv['length']) }
    return [System.Text.Encoding]::ASCII.GetString($Bytes, $Tlv['start'], $Tlv['length'])
}

function Get-AgentDerUris {
    # Every uniformResourceIdentifier ([6], tag 0x86) inside constructed values, in order.
    param([byte[]]$Bytes, $Tlv, $Into)
    foreach ($child in (Get-AgentDerChildren -Bytes $Bytes -Tlv $Tlv)) {
        if ($child['tag'] -eq 134) {
            $Into.Add([System.Text.Encoding]::ASCII.GetString($Bytes, $child['start'], $child['length']))
        } elseif (($child['tag'] -band 32) -ne 0) {
            Get-AgentDerUris -Bytes $Bytes -Tlv $child -Into $Into
        }
    }
}

function Get-AgentExtension {
    param($Cert, [string]$Oid)
    foreach ($extension in $Cert.Extensions) {
        if ($extension.Oid.Value -eq $Oid) { return $extension }
    }
    return $null
}

function Get-AgentCertTemplate {
    # @{oid; name} from the template extensions (raw DER).
    param($Cert)
    $out = @{ oid = $null; name = $null }
    $v2 = Get-AgentExtension -Cert $Cert -Oid '1.3.6.1.4.1.311.21.7'
    if ($null -ne $v2) {
        $raw = [byte[]]$v2.RawData
        $sequence = Read-AgentDer -Bytes $raw -Offset 0
        $children = Get-AgentDerChildren -Bytes $raw -Tlv $sequence
        if ($children.Count -gt 0 -and $children[0]['tag'] -eq 6) { $out['oid'] = ConvertFrom-AgentDerOid -Bytes $raw -Tlv $children[0] }
    }
    $v1 = Get-AgentExtension -Cert $Cert -Oid '1.3.6.1.4.1.311.20.2'
    if ($null -ne $v1) {
        $raw = [byte[]]$v1.RawData
        $out['name'] = ConvertFrom-AgentDerText -Bytes $raw -Tlv (Read-AgentDer -Bytes $raw -Offset 0)
    }
    return $out
}

function Get-AgentCertSanDns {
    param($Cert)
    $names = New-Object System.Collections.Generic.List[object]
    $san = Get-AgentExtension -Cert $Cert -Oid '2.5.29.17'
    if ($null -eq $san) { return , $names }
    $raw = [byte[]]$san.RawData
    foreach ($child in (Get-AgentDerChildren -Bytes $raw -Tlv (Read-AgentDer -Bytes $raw -Offset 0))) {
        if ($child['tag'] -eq 130) { $names.Add([System.Text.Encoding]::ASCII.GetString($raw, $child['start'], $child['length'])) }
    }
    return , $names
}

function Get-AgentCertUrls {
    # CDP then AIA URLs of one certificate.
    param($Cert)
    $urls = New-Object System.Collections.Generic.List[object]
    foreach ($oid in @('2.5.29.31', '1.3.6.1.5.5.7.1.1')) {
        $extension = Get-AgentExtension -Cert $Cert -Oid $oid
        if ($null -eq $extension) { continue }
        $raw = [byte[]]$extension.RawData
        Get-AgentDerUris -Bytes $raw -Tlv (Read-AgentDer -Bytes $raw -Offset 0) -Into $urls
    }
    return , $urls
}

function Get-AgentCertEkus {
    param($Cert)
    $out = New-Object System.Collections.Generic.List[object]
    $extension = Get-AgentExtension -Cert $Cert -Oid '2.5.29.37'
    if ($null -eq $extension) { return , $out }
    $eku = New-Object System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension ($extension, $extension.Critical)
    foreach ($oid in $eku.EnhancedKeyUsages) { $out.Add([string]$oid.Value) }
    return , $out
}

function Get-AgentCertKeyUsage {
    param($Cert)
    $out = New-Object System.Collections.Generic.List[object]
    $extension = Get-AgentExtension -Cert $Cert -Oid '2.5.29.15'
    if ($null -eq $extension) { return , $out }
    $usage = (New-Object System.Security.Cryptography.X509Certificates.X509KeyUsageExtension ($extension, $extension.Critical)).KeyUsages
    foreach ($flag in $script:KeyUsageNames.Keys) {
        $bit = [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]$flag
        if (($usage -band $bit) -eq $bit) { $out.Add($script:KeyUsageNames[$flag]) }
    }
    return , $out
}

# ------------------------------------------------------------------ keys
function Get-AgentKeyAclError {
    # Why a key ACL could not be read, as a contract.KEY_ACL_ERRORS code: the key-specific HRESULTs of
    # CryptographicException, else the agent's own error code by type (Get-AgentExceptionCode), never by
    # message. CAPI and CNG report a key they may not open as NTE_BAD_KEYSET too, so cng_key_not_found can
    # also mean "not allowed to open it".
    param($Exception)
    foreach ($walk in (Get-AgentExceptionChain -Failure $Exception)) {
        if ($walk -is [System.Security.Cryptography.CryptographicException]) {
            $hr = $walk.HResult
            if ($hr -eq -2146893808) { return 'access_denied' }                               # NTE_PERM 0x80090010
            if ($hr -eq -2146893802 -or $hr -eq -2146893807) { return 'cng_key_not_found' }   # NTE_BAD_KEYSET 0x80090016, NTE_NOT_FOUND 0x80090011
        }
    }
    switch (Get-AgentExceptionCode -Exception $Exception) {
        'access_denied' { return 'access_denied' }
        'not_found' { return 'no_key_file' }
    }
    return 'io_error'
}

function Get-AgentCertKeyInfo {
    # @{provider; file; reason} of a certificate's private key (CNG or CAPI). file is null when there is
    # no key or its file cannot be found; then reason is a contract.KEY_ACL_ERRORS code (null without a key).
    param($Cert)
    $info = @{ provider = $null; file = $null; reason = $null }
    if (-not $Cert.HasPrivateKey) { return $info }
    $key = $null
    $failure = $null
    try {
        $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
    } catch {
        $failure = $_.Exception
        $key = $null
    }
    if ($null -eq $key) {
        try {
            $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($Cert)
        } catch {
            if ($null -eq $failure) { $failure = $_.Exception }
            $key = $null
        }
    }
    if ($null -eq $key) {
        # HasPrivateKey says a key is linked, yet no provider opens it (removed key set, HSM, DSA key)
        if ($null -eq $failure) { $info['reason'] = 'cng_key_not_found' } else { $info['reason'] = Get-AgentKeyAclError -Exception $failure }
        return $info
    }
    $crypto = Join-Path $env:ProgramData 'Microsoft\Crypto'
    $candidates = @()
    try {
        if ($key -is [System.Security.Cryptography.RSACryptoServiceProvider]) {
            $container = $key.CspKeyContainerInfo
            $info['provider'] = [string]$container.ProviderName
            $unique = [string]$container.UniqueKeyContainerName
            $candidates = @((Join-Path $crypto ('RSA\MachineKeys\' + $unique)))
        } else {
            $cng = $key.Key
            $info['provider'] = [string]$cng.Provider.Provider
            $unique = [string]$cng.UniqueName
            # GetRSAPrivateKey asks CryptAcquireCertificatePrivateKey for CNG keys only, which up-converts a
            # software CAPI key (e.g. an NDES RA key made by the Microsoft Strong Cryptographic Provider) to
            # RSACng (dotnet/corefx#3502): its file stays in RSA\MachineKeys, so look there too.
            $candidates = @((Join-Path $crypto ('Keys\' + $unique)), (Join-Path $crypto ('SystemKeys\' + $unique)), (Join-Path $crypto ('RSA\MachineKeys\' + $unique)))
        }
    } catch {
        $info['reason'] = Get-AgentKeyAclError -Exception $_.Exception
        return $info
    } finally {
        $key.Dispose()
    }
    foreach ($candidate in $candidates) {
        if ([System.IO.File]::Exists($candidate)) { $info['file'] = $candidate; break }
    }
    # a key of another provider (smart card, HSM KSP) has a UniqueName that is no file of ours
    if ($null -eq $info['file']) { $info['reason'] = 'no_key_file' }
    return $info
}

function Get-AgentKeyAcl {
    # [{sid, rights}] of the key file; the caller checks that KeyInfo has a file. Throws when the DACL
    # cannot be read (Get-AgentKeyAclError names why).
    param($KeyInfo)
    $security = [System.IO.File]::GetAccessControl($KeyInfo['file'], [System.Security.AccessControl.AccessControlSections]::Access)
    return , (Get-AgentKeyAceRecords -Security $security)
}

# ------------------------------------------------------------------ stores
function Test-AgentAccessDeniedHResult {
    # Is the caught error (or an exception it wraps) one with HRESULT E_ACCESSDENIED (0x80070005)?
    param($Failure)
    foreach ($exception in (Get-AgentExceptionChain -Failure $Failure)) {
        if ($exception.HResult -eq -2147024891) { return $true }
    }
    return $false
}

function Open-AgentCertStore {
    param([string]$Name, [string]$Location = 'LocalMachine', [switch]$Write)
    $where = [System.Security.Cryptography.X509Certificates.StoreLocation]$Location
    $store = New-Object System.Security.Cryptography.X509Certificates.X509Store ($Name, $where)
    # OpenExistingOnly in both modes: without it Open() creates a missing store (OpenFlags docs), so a
    # cert_move to a misspelled store name would make a new, empty store instead of failing not_found
    $flags = [System.Security.Cryptography.X509Certificates.OpenFlags]::IncludeArchived -bor [System.Security.Cryptography.X509Certificates.OpenFlags]::OpenExistingOnly
    if ($Write) {
        $flags = $flags -bor [System.Security.Cryptography.X509Certificates.OpenFlags]::ReadWrite
    }
    try {
        $store.Open($flags)
    } catch [System.Security.Cryptography.CryptographicException] {
        # X509Store.Open throws CryptographicException whenever "the store cannot be opened as requested",
        # access denied (HRESULT 0x80070005, e.g. ReadWrite on LocalMachine without elevation) included:
        # that one is rethrown (access_denied by type, 03_errors.ps1), never reported as a missing store
        if (Test-AgentAccessDeniedHResult -Failure $_) { throw }
        throw (New-AgentError -Code 'not_found' -Text ('certificate store {0}\{1} does not exist' -f $Location, $Name))
    }
    return $store
}

function Find-AgentCert {
    param($Store, [string]$Thumbprint)
    $want = ConvertTo-AgentThumbprint -Text $Thumbprint
    foreach ($cert in $Store.Certificates) {
        if ($cert.Thumbprint -eq $want) { return $cert }
    }
    return $null
}

function Test-AgentGpoPlacedRoot {
    # Present in the group-policy physical store (HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\Root).
    param([string]$Thumbprint)
    $key = Open-AgentRegistryKey -Path ('HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\Root\Certificates\' + $Thumbprint)
    if ($null -eq $key) { return $false }
    $key.Dispose()
    return $true
}

function ConvertTo-AgentSerial {
    # Hex without leading zeros (as "%X" of the integer).
    param([string]$Serial)
    $trimmed = $Serial.ToUpperInvariant().TrimStart('0')
    if ($trimmed.Length -eq 0) { return '0' }
    return $trimmed
}

function ConvertTo-AgentCertRecord {
    param($Cert, [string]$StoreName, [bool]$IncludeAcl)
    $template = Get-AgentCertTemplate -Cert $Cert
    $hasKey = [bool]$Cert.HasPrivateKey
    $keyInfo = @{ provider = $null; file = $null }
    if ($hasKey) { $keyInfo = Get-AgentCertKeyInfo -Cert $Cert }
    # key_acl: [] without a private key; null + key_acl_error (a contract.KEY_ACL_ERRORS code) when the
    # ACL was not asked for or could not be read: an unread ACL must never look like an empty one.
    # key_acl_grant reads the file again and fails with its own error code.
    $acl = New-Object System.Collections.Generic.List[object]
    $aclError = $null
    if ($hasKey) {
        if (-not $IncludeAcl) {
            $aclError = 'not_requested'
        } elseif ($null -ne $keyInfo['reason']) {
            $aclError = [string]$keyInfo['reason']   # set whenever a key has no file to read
        } else {
            try { $acl = Get-AgentKeyAcl -KeyInfo $keyInfo } catch { $aclError = Get-AgentKeyAclError -Exception $_.Exception }
        }
        if ($null -ne $aclError) { $acl = $null }
    }
    $record = [ordered]@{
        thumbprint = $Cert.Thumbprint.ToUpperInvariant()
        subject = [string]$Cert.SubjectName.Name
        issuer = [string]$Cert.IssuerName.Name
        subject_der_b64 = [System.Convert]::ToBase64String($Cert.SubjectName.RawData)
        issuer_der_b64 = [System.Convert]::ToBase64String($Cert.IssuerName.RawData)
        serial = (ConvertTo-AgentSerial -Serial $Cert.SerialNumber)
        not_before = (Format-AgentTime -When $Cert.NotBefore)
        not_after = (Format-AgentTime -When $Cert.NotAfter)
        has_private_key = $hasKey
        key_provider = $keyInfo['provider']
        ekus = (Get-AgentCertEkus -Cert $Cert)
        key_usage = (Get-AgentCertKeyUsage -Cert $Cert)
        template_oid = $template['oid']
        template_name = $template['name']
        san_dns = (Get-AgentCertSanDns -Cert $Cert)
        key_acl = $acl
        archived = [bool]$Cert.Archived
        der_b64 = [System.Convert]::ToBase64String($Cert.RawData)
    }
    if ($null -ne $aclError) { $record['key_acl_error'] = $aclError }
    if ($StoreName -eq 'Root') { $record['gpo_placed'] = Test-AgentGpoPlacedRoot -Thumbprint $record['thumbprint'] }
    return $record
}

function Read-AgentCertStore {
    # read cert_store: certs [cert record]
    param($A)
    $location = [string](Get-AgentArg $A 'location' 'LocalMachine')
    $includeArchived = [bool](Get-AgentArg $A 'include_archived' $false)
    $includeAcl = [bool](Get-AgentArg $A 'include_acl' $true)
    $store = Open-AgentCertStore -Name $A['store'] -Location $location
    try {
        $certs = New-Object System.Collections.Generic.List[object]
        foreach ($cert in $store.Certificates) {
            if ($cert.Archived -and -not $includeArchived) { continue }
            $certs.Add((ConvertTo-AgentCertRecord -Cert $cert -StoreName $store.Name -IncludeAcl $includeAcl))
        }
        return [ordered]@{ certs = $certs }
    } finally {
        $store.Close()
    }
}

function Get-AgentChainFlagNames {
    # X509ChainStatus[] -> flag names, the lab's order first, then any other in enum order.
    param($Statuses)
    $seen = New-Object System.Collections.Generic.List[string]
    foreach ($status in $Statuses) {
        foreach ($flag in [System.Enum]::GetValues([System.Security.Cryptography.X509Certificates.X509ChainStatusFlags])) {
            $bit = [int64]$flag
            if ($bit -ne 0 -and (([int64]$status.Status) -band $bit) -eq $bit -and -not $seen.Contains($flag.ToString())) { $seen.Add($flag.ToString()) }
        }
    }
    $out = New-Object System.Collections.Generic.List[object]
    foreach ($name in $script:ChainFlagOrder) { if ($seen.Contains($name)) { $out.Add($name) } }
    foreach ($name in $seen) { if (-not ($script:ChainFlagOrder -contains $name)) { $out.Add($name) } }
    return , $out
}

function Read-AgentCertChain {
    # read cert_chain: X509Chain (machine context; RevocationMode Online unless online: false)
    param($A)
    $store = Open-AgentCertStore -Name $A['store']
    try {
        $cert = Find-AgentCert -Store $store -Thumbprint $A['thumbprint']
        if ($null -eq $cert) {
            throw (New-AgentError -Code 'not_found' -Text ('certificate {0} not in LocalMachine\{1}' -f $A['thumbprint'], $A['store']))
        }
        $chain = New-Object System.Security.Cryptography.X509Certificates.X509Chain ($true)
        try {
            if ([bool](Get-AgentArg $A 'online' $true)) {
                $chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::Online
            } else {
                $chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::NoCheck
            }
            $chain.ChainPolicy.RevocationFlag = [System.Security.Cryptography.X509Certificates.X509RevocationFlag]::ExcludeRoot
            $chain.ChainPolicy.UrlRetrievalTimeout = [System.TimeSpan]::FromSeconds(15)
            [void]$chain.Build($cert)
            $elements = New-Object System.Collections.Generic.List[object]
            $urls = New-Object System.Collections.Generic.List[object]
            foreach ($element in $chain.ChainElements) {
                $elements.Add([ordered]@{
                    thumbprint = $element.Certificate.Thumbprint.ToUpperInvariant()
                    subject = [string]$element.Certificate.SubjectName.Name
                    status = (Get-AgentChainFlagNames -Statuses $element.ChainElementStatus)
                })
                foreach ($url in (Get-AgentCertUrls -Cert $element.Certificate)) { if (-not $urls.Contains($url)) { $urls.Add($url) } }
            }
            return [ordered]@{ status = (Get-AgentChainFlagNames -Statuses $chain.ChainStatus); elements = $elements; urls = $urls }
        } finally {
            $chain.Reset()
        }
    } finally {
        $store.Close()
    }
}

# ------------------------------------------------------------------ ensures
function Get-AgentCertStores {
    # The LocalMachine stores (the known ones and Extra) that hold the thumbprint, in the known order.
    param([string]$Thumbprint, [string[]]$Extra = @())
    $out = New-Object System.Collections.Generic.List[object]
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($name in (@($script:KnownStores) + @($Extra))) { if (-not ($names -contains $name)) { $names.Add($name) } }
    foreach ($name in $names) {
        $store = $null
        try { $store = Open-AgentCertStore -Name $name } catch { $store = $null }
        if ($null -eq $store) { continue }
        try {
            if ($null -ne (Find-AgentCert -Store $store -Thumbprint $Thumbprint)) { $out.Add($name) }
        } finally {
            $store.Close()
        }
    }
    return , $out
}

function Get-AgentStoreName {
    # The known store's canonical spelling (My, Root, CA, ...) or the name as given.
    param([string]$Name)
    foreach ($known in $script:KnownStores) { if ($known -eq $Name) { return $known } }
    return $Name
}

function Invoke-EnsureCertMove {
    # ensure cert_move: before/after {stores}; backup: .cer export; a GPO-placed Root cert is refused.
    param($A)
    $thumbprint = ConvertTo-AgentThumbprint -Text $A['thumbprint']
    $source = Get-AgentStoreName -Name $A['from_store']
    $target = Get-AgentStoreName -Name $A['to_store']
    $stores = Get-AgentCertStores -Thumbprint $thumbprint -Extra @($source, $target)
    $before = [ordered]@{ stores = $stores.ToArray() }
    if (-not $stores.Contains($source)) {
        if ($stores.Contains($target)) { return (New-AgentEnsureResult -Changed $false -Before $before -After $before) }
        throw (New-AgentError -Code 'not_found' -Text ('certificate {0} is not in LocalMachine\{1}' -f $thumbprint, $source))
    }
    if ($source -eq 'Root' -and (Test-AgentGpoPlacedRoot -Thumbprint $thumbprint)) {
        throw (New-AgentError -Code 'precondition' -Text ('certificate {0} in {1} was placed by Group Policy (HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates): it comes back at the next policy refresh; remove it from the GPO' -f $thumbprint, $source))
    }
    $afterStores = New-Object System.Collections.Generic.List[object]
    foreach ($name in (@($script:KnownStores) + @($source, $target))) {
        if ((($stores.Contains($name) -and $name -ne $source) -or $name -eq $target) -and -not $afterStores.Contains($name)) { $afterStores.Add($name) }
    }
    $after = [ordered]@{ stores = $afterStores.ToArray() }
    # a missing target store fails not_found here, in check mode too and before any backup
    (Open-AgentCertStore -Name $target).Close()
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After $after) }
    $from = Open-AgentCertStore -Name $source -Write
    try {
        $cert = Find-AgentCert -Store $from -Thumbprint $thumbprint
        $saved = Save-AgentBackupBytes -Kind 'certificate' -Source ('{0}\{1}' -f $source, $thumbprint) -Suffix '.cer' -Bytes $cert.RawData -Restore ([ordered]@{ kind = 'cert_move'; args = [ordered]@{ thumbprint = $thumbprint; from_store = $target; to_store = $source } })
        $to = Open-AgentCertStore -Name $target -Write
        try { $to.Add($cert) } finally { $to.Close() }
        $from.Remove($cert)
    } finally {
        $from.Close()
    }
    $afterStores = Get-AgentCertStores -Thumbprint $thumbprint -Extra @($source, $target)
    if ($afterStores.Contains($source)) {
        # X509Store.Remove deletes one copy; the logical system store still shows a copy another physical
        # store holds ("System Store Locations": LocalMachine Root = .Default .AuthRoot .GroupPolicy
        # .Enterprise .SmartCard; CA and Trust = .Default .GroupPolicy .Enterprise).
        throw (New-AgentError -Code 'precondition' -Text ('certificate {0} is still in LocalMachine\{1} after its removal: another physical store of {1} holds it (.Enterprise, published from Active Directory; .GroupPolicy; or for Root .AuthRoot); remove it there and rerun. Its copy in {2} stays (backup of the run has it).' -f $thumbprint, $source, $target))
    }
    $after = [ordered]@{ stores = $afterStores.ToArray() }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
}

function Set-AgentCertArchived {
    # Set the archived property of a store certificate; returns whether it changed.
    param([string]$Thumbprint, [string]$StoreName, [bool]$Archived, [switch]$DryRun)
    $store = Open-AgentCertStore -Name $StoreName -Write:(-not $DryRun)
    try {
        $cert = Find-AgentCert -Store $store -Thumbprint $Thumbprint
        if ($null -eq $cert) { throw (New-AgentError -Code 'not_found' -Text ('certificate {0} is not in LocalMachine\{1}' -f $Thumbprint, $StoreName)) }
        if ([bool]$cert.Archived -eq $Archived) { return $false }
        if (-not $DryRun) { $cert.Archived = $Archived }
        return $true
    } finally {
        $store.Close()
    }
}

function Invoke-EnsureCertArchive {
    # ensure cert_archive: before/after {archived}; backup: .cer export; the certificate stays in its store.
    param($A)
    $thumbprint = ConvertTo-AgentThumbprint -Text $A['thumbprint']
    $storeName = Get-AgentStoreName -Name $A['store']
    $store = Open-AgentCertStore -Name $storeName
    try {
        $cert = Find-AgentCert -Store $store -Thumbprint $thumbprint
        if ($null -eq $cert) { throw (New-AgentError -Code 'not_found' -Text ('certificate {0} is not in LocalMachine\{1}' -f $thumbprint, $storeName)) }
        $before = [ordered]@{ archived = [bool]$cert.Archived }
        $raw = $cert.RawData
    } finally {
        $store.Close()
    }
    $after = [ordered]@{ archived = $true }
    if ($before['archived'] -or $script:Ctx.Check) { return (New-AgentEnsureResult -Changed (-not $before['archived']) -Before $before -After $after) }
    $saved = Save-AgentBackupBytes -Kind 'certificate' -Source ('{0}\{1}' -f $storeName, $thumbprint) -Suffix '.cer' -Bytes $raw -Restore ([ordered]@{ kind = 'cert_unarchive'; args = [ordered]@{ thumbprint = $thumbprint; store = $storeName } })
    [void](Set-AgentCertArchived -Thumbprint $thumbprint -StoreName $storeName -Archived $true)
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
}

function Invoke-RestoreCertUnarchive {
    # restore-only cert_unarchive {thumbprint, store}
    param($A)
    $changed = Set-AgentCertArchived -Thumbprint $A['thumbprint'] -StoreName $A['store'] -Archived $false -DryRun:([bool]$script:Ctx.Check)
    return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{}) -After ([ordered]@{}))
}

function Get-AgentCertKeyFile {
    # The key file of a store certificate; precondition when it has none.
    param([string]$Thumbprint, [string]$StoreName)
    $store = Open-AgentCertStore -Name $StoreName
    try {
        $cert = Find-AgentCert -Store $store -Thumbprint $Thumbprint
        if ($null -eq $cert) { throw (New-AgentError -Code 'not_found' -Text ('certificate {0} is not in LocalMachine\{1}' -f $Thumbprint, $StoreName)) }
        if (-not $cert.HasPrivateKey) { throw (New-AgentError -Code 'precondition' -Text ('certificate {0} has no private key to grant access to' -f $Thumbprint)) }
        $info = Get-AgentCertKeyInfo -Cert $cert
    } finally {
        $store.Close()
    }
    if ($null -eq $info['file'] -and $info['reason'] -eq 'access_denied') {
        throw (New-AgentError -Code 'access_denied' -Text ('the private key of certificate {0} may not be opened by the agent identity' -f $Thumbprint))
    }
    if ($null -eq $info['file']) {
        throw (New-AgentError -Code 'not_found' -Text ('the private key file of certificate {0} was not found under %ProgramData%\Microsoft\Crypto' -f $Thumbprint))
    }
    return $info['file']
}

function Invoke-EnsureKeyAclGrant {
    # ensure key_acl_grant: before/after {key_acl}; backup: the key file's ACL (SDDL).
    param($A)
    $thumbprint = ConvertTo-AgentThumbprint -Text $A['thumbprint']
    $storeName = Get-AgentStoreName -Name $A['store']
    $sid = Assert-AgentSid -Sid $A['sid']
    $right = [string]$A['rights']
    $file = Get-AgentCertKeyFile -Thumbprint $thumbprint -StoreName $storeName
    $security = [System.IO.File]::GetAccessControl($file, [System.Security.AccessControl.AccessControlSections]::Access)
    $current = Get-AgentKeyAceRecords -Security $security
    $before = [ordered]@{ key_acl = $current }
    if (Test-AgentRightImplied -Held (Get-AgentHeldRights -Aces $current -Sid $sid) -Wanted $right) {
        return (New-AgentEnsureResult -Changed $false -Before $before -After $before)
    }
    $lookupWarning = Test-AgentSidMapped -Sid $sid   # a SID that names no account: not_found, nothing written
    $rule = New-Object System.Security.AccessControl.FileSystemAccessRule ((New-Object System.Security.Principal.SecurityIdentifier $sid), (Get-AgentFileSystemRights -Name $right), [System.Security.AccessControl.AccessControlType]::Allow)
    $sddl = $security.GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access)
    $security.AddAccessRule($rule)
    $after = [ordered]@{ key_acl = (Get-AgentKeyAceRecords -Security $security) }
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Warnings $lookupWarning) }
    $saved = Save-AgentBackupJson -Kind 'key_acl' -Source ('{0}\{1}' -f $storeName, $thumbprint) -Data ([ordered]@{ key_acl = $current; sddl = $sddl; file = $file }) -Restore ([ordered]@{ kind = 'key_acl_set'; args = [ordered]@{ thumbprint = $thumbprint; store = $storeName; sddl = $sddl } }) -Suffix '.acl.json'
    [System.IO.File]::SetAccessControl($file, $security)
    $after = [ordered]@{ key_acl = (Get-AgentKeyAceRecords -Security ([System.IO.File]::GetAccessControl($file, [System.Security.AccessControl.AccessControlSections]::Access))) }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved -Warnings $lookupWarning)
}

function Invoke-RestoreKeyAclSet {
    # restore-only key_acl_set {thumbprint, store, sddl}: put the key file's DACL back.
    param($A)
    $file = Get-AgentCertKeyFile -Thumbprint (ConvertTo-AgentThumbprint -Text $A['thumbprint']) -StoreName $A['store']
    $security = [System.IO.File]::GetAccessControl($file, [System.Security.AccessControl.AccessControlSections]::Access)
    $changed = ($security.GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access) -ne $A['sddl'])
    if ($changed -and -not $script:Ctx.Check) {
        $security.SetSecurityDescriptorSddlForm($A['sddl'], [System.Security.AccessControl.AccessControlSections]::Access)
        [System.IO.File]::SetAccessControl($file, $security)
    }
    return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{}) -After ([ordered]@{}))
}
