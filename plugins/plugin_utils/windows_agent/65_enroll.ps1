# cert_enroll through certreq.exe, machine context: an INF file written from the
# request's data (values checked and quoted, never spliced into a command line),
# then `certreq -new`, `-submit -config <CA>`, `-accept -machine`, each called
# with an argument array; only exit codes are read (never console text). The new
# thumbprint comes from the issued certificate file and is checked against
# LocalMachine\My before / after.

$script:DefaultProvider = 'Microsoft Software Key Storage Provider'

function ConvertTo-AgentInfValue {
    # A double-quoted INF value; refuses control characters (no line can be injected).
    param([string]$Name, [string]$Value)
    if ($Value -match '[\x00-\x1f\x7f]') {
        throw (New-AgentError -Code 'invalid_request' -Text ('{0}: control characters are not allowed' -f $Name))
    }
    return ('"' + $Value.Replace('"', '""') + '"')
}

function Invoke-AgentCertreq {
    # Run certreq.exe with an argument array; throw io_error on a non-zero exit code.
    param([string[]]$Arguments, [string]$Step)
    $exe = Join-Path (Get-AgentSystem32) 'certreq.exe'
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'   # native stderr must not become a terminating error
    try {
        $null = & $exe @Arguments 2>&1
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $previous
    }
    if ($code -ne 0) {
        throw (New-AgentError -Code 'io_error' -Text ('certreq {0} exited with code {1} (0x{1:X8})' -f $Step, $code))
    }
}

function Get-AgentMyThumbprints {
    $store = Open-AgentCertStore -Name 'My'
    try { return , [object[]]@($store.Certificates | ForEach-Object { $_.Thumbprint.ToUpperInvariant() }) } finally { $store.Close() }
}

function Invoke-EnsureCertEnroll {
    # ensure cert_enroll: before {thumbprint: replaces}, after {thumbprint}; backup: .cer of the new certificate.
    param($A)
    if ($A['context'] -ne 'machine') {
        throw (New-AgentError -Code 'unsupported' -Text 'the Windows agent enrols machine certificates only (context: machine)')
    }
    $ca = [string]$A['ca']
    if ($ca -notmatch '^[^"\x00-\x1f]+\\[^"\x00-\x1f]+$') {
        throw (New-AgentError -Code 'invalid_request' -Text ('ca: give the CA config string host\CA name, got {0}' -f $ca))
    }
    $subject = [string]$A['subject']
    $san = @(Get-AgentArg $A 'san_dns' @())
    $replaces = Get-AgentArg $A 'replaces'
    if ($null -ne $replaces) {
        $store = Open-AgentCertStore -Name 'My'
        try {
            $old = Find-AgentCert -Store $store -Thumbprint $replaces
            if ($null -eq $old) { throw (New-AgentError -Code 'not_found' -Text ('certificate {0} is not in LocalMachine\My' -f $replaces)) }
            $subject = [string]$old.SubjectName.Name
            if ($san.Count -eq 0) { $san = @(Get-AgentCertSanDns -Cert $old) }
        } finally {
            $store.Close()
        }
    }
    foreach ($dns in $san) {
        if ([string]$dns -notmatch '^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$') {
            throw (New-AgentError -Code 'invalid_request' -Text ('san_dns: not a DNS name: {0}' -f $dns))
        }
    }
    $provider = [string](Get-AgentArg $A 'provider' $script:DefaultProvider)
    $exportable = 'FALSE'
    if ([bool](Get-AgentArg $A 'exportable' $false)) { $exportable = 'TRUE' }
    $before = [ordered]@{ thumbprint = $replaces }
    $lines = New-Object System.Collections.Generic.List[string]
    $lines.Add('[Version]')
    $lines.Add('Signature="$Windows NT$"')
    $lines.Add('')
    $lines.Add('[NewRequest]')
    $lines.Add('Subject = ' + (ConvertTo-AgentInfValue -Name 'subject' -Value $subject))
    $lines.Add('MachineKeySet = TRUE')
    $lines.Add('KeyLength = 2048')
    if (-not $provider.EndsWith('Key Storage Provider')) { $lines.Add('KeySpec = 1') }   # CAPI CSPs: AT_KEYEXCHANGE
    $lines.Add('Exportable = ' + $exportable)
    $lines.Add('ProviderName = ' + (ConvertTo-AgentInfValue -Name 'provider' -Value $provider))
    $lines.Add('RequestType = PKCS10')
    $lines.Add('SMIME = FALSE')
    if ($san.Count -gt 0) {
        $lines.Add('')
        $lines.Add('[Extensions]')
        $lines.Add('2.5.29.17 = "{text}"')
        foreach ($dns in $san) { $lines.Add('_continue_ = ' + (ConvertTo-AgentInfValue -Name 'san_dns' -Value ('dns=' + $dns + '&'))) }
    }
    $lines.Add('')
    $lines.Add('[RequestAttributes]')
    $lines.Add('CertificateTemplate = ' + (ConvertTo-AgentInfValue -Name 'template' -Value ([string]$A['template'])))
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ thumbprint = $null })) }
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('ndes.scep-enroll-' + [guid]::NewGuid().ToString('N'))
    [void][System.IO.Directory]::CreateDirectory($work)
    try {
        $inf = Join-Path $work 'request.inf'
        $req = Join-Path $work 'request.req'
        $cer = Join-Path $work 'issued.cer'
        $rsp = Join-Path $work 'issued.rsp'
        [System.IO.File]::WriteAllText($inf, (($lines -join "`r`n") + "`r`n"), (New-Object System.Text.UnicodeEncoding ($false, $true)))
        $known = Get-AgentMyThumbprints
        Invoke-AgentCertreq -Step '-new' -Arguments @('-q', '-new', '-machine', $inf, $req)
        Invoke-AgentCertreq -Step '-submit' -Arguments @('-q', '-submit', '-config', $ca, $req, $cer, $rsp)
        if (-not [System.IO.File]::Exists($cer)) {
            throw (New-AgentError -Code 'precondition' -Text ('CA {0} did not issue the certificate at once (pending or denied): approve it on the CA, then run again' -f $ca))
        }
        Invoke-AgentCertreq -Step '-accept' -Arguments @('-q', '-accept', '-machine', $cer)
        $issued = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 ($cer)
        $thumbprint = $issued.Thumbprint.ToUpperInvariant()
        $raw = $issued.RawData
        $issued.Dispose()
        $now = Get-AgentMyThumbprints
        if (-not ($now -contains $thumbprint) -or ($known -contains $thumbprint)) {
            throw (New-AgentError -Code 'io_error' -Text ('certreq -accept reported success but {0} is not a new certificate in LocalMachine\My' -f $thumbprint))
        }
    } finally {
        [System.IO.Directory]::Delete($work, $true)
    }
    $saved = Save-AgentBackupBytes -Kind 'certificate' -Source ('My\' + $thumbprint) -Suffix '.cer' -Bytes $raw -Restore ([ordered]@{ kind = 'cert_archive'; args = [ordered]@{ thumbprint = $thumbprint; store = 'My' } })
    return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ thumbprint = $thumbprint }) -Backup $saved)
}
