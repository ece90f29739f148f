# cert_enroll through certreq.exe: an INF file written from the request's data
# (values checked and quoted, never spliced into a command line), then
# `certreq -new`, `-submit -config <CA>`, `-accept -machine|-user`, each called
# with an argument array; only exit codes are read (never console text). The new
# thumbprint comes from the issued certificate file and is checked against
# LocalMachine\My before / after. context user (a template whose subject type is
# User, e.g. EnrollmentAgentOffline): the key is made in the agent user's profile,
# exportable, and 66_enroll_user.ps1 moves certificate and key to LocalMachine\My.
# Known certreq exit codes (HRESULTs) map to contract codes: 0x80094012
# CERTSRV_E_TEMPLATE_DENIED and 0x80070005 E_ACCESSDENIED -> access_denied,
# 0x80094800 CERTSRV_E_UNSUPPORTED_CERT_TYPE (template not offered) -> not_found.

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
        $contractCode = 'io_error'
        $hint = ''
        if ($code -eq -2146877422) {
            $contractCode = 'access_denied'
            $hint = ': the requester lacks Read or Enroll on the template (CERTSRV_E_TEMPLATE_DENIED)'
        } elseif ($code -eq -2147024891) {
            $contractCode = 'access_denied'
            $hint = ': access denied; over WinRM the CA needs delegated credentials (CredSSP, Kerberos delegation or become)'
        } elseif ($code -eq -2146875392) {
            $contractCode = 'not_found'
            $hint = ': the CA does not offer this template (CERTSRV_E_UNSUPPORTED_CERT_TYPE)'
        }
        throw (New-AgentError -Code $contractCode -Text ('certreq {0} exited with code {1} (0x{1:X8}){2}' -f $Step, $code, $hint))
    }
}

function Get-AgentMyThumbprints {
    $store = Open-AgentCertStore -Name 'My'
    try { return , [object[]]@($store.Certificates | ForEach-Object { $_.Thumbprint.ToUpperInvariant() }) } finally { $store.Close() }
}

function Invoke-EnsureCertEnroll {
    # ensure cert_enroll: before {thumbprint: replaces}, after {thumbprint}; backup: .cer of the new certificate.
    param($A)
    $context = [string]$A['context']
    if ($context -eq 'user' -and -not [bool](Get-AgentArg $A 'exportable' $false)) {
        throw (New-AgentError -Code 'precondition' -Text 'context user: the new key must be exportable (exportable: true) to move it from the user''s store to LocalMachine\My')
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
    if ($context -eq 'machine') { $lines.Add('MachineKeySet = TRUE') } else { $lines.Add('MachineKeySet = FALSE') }
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
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ thumbprint = $null; not_after = $null; provider = $provider })) }
    $contextSwitch = '-machine'
    if ($context -eq 'user') { $contextSwitch = '-user' }
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('ndes.scep-enroll-' + [guid]::NewGuid().ToString('N'))
    [void][System.IO.Directory]::CreateDirectory($work)
    try {
        $inf = Join-Path $work 'request.inf'
        $req = Join-Path $work 'request.req'
        $cer = Join-Path $work 'issued.cer'
        $rsp = Join-Path $work 'issued.rsp'
        [System.IO.File]::WriteAllText($inf, (($lines -join "`r`n") + "`r`n"), (New-Object System.Text.UnicodeEncoding ($false, $true)))
        $known = Get-AgentMyThumbprints
        Invoke-AgentCertreq -Step '-new' -Arguments @('-q', '-new', $contextSwitch, $inf, $req)
        Invoke-AgentCertreq -Step '-submit' -Arguments @('-q', '-submit', '-config', $ca, $req, $cer, $rsp)
        if (-not [System.IO.File]::Exists($cer)) {
            throw (New-AgentError -Code 'precondition' -Text ('CA {0} did not issue the certificate at once (pending or denied): approve it on the CA, then run again' -f $ca))
        }
        Invoke-AgentCertreq -Step '-accept' -Arguments @('-q', '-accept', $contextSwitch, $cer)
        $issued = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 ($cer)
        $thumbprint = $issued.Thumbprint.ToUpperInvariant()
        $raw = $issued.RawData
        $notAfter = Format-AgentTime -When $issued.NotAfter
        $issued.Dispose()
        if ($context -eq 'user') { Move-AgentUserCertToMachine -Thumbprint $thumbprint -Exportable $true }
        $now = Get-AgentMyThumbprints
        if (-not ($now -contains $thumbprint) -or ($known -contains $thumbprint)) {
            throw (New-AgentError -Code 'io_error' -Text ('certreq -accept reported success but {0} is not a new certificate in LocalMachine\My' -f $thumbprint))
        }
    } finally {
        [System.IO.Directory]::Delete($work, $true)
    }
    $saved = Save-AgentBackupBytes -Kind 'certificate' -Source ('My\' + $thumbprint) -Suffix '.cer' -Bytes $raw -Restore ([ordered]@{ kind = 'cert_archive'; args = [ordered]@{ thumbprint = $thumbprint; store = 'My' } })
    return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ thumbprint = $thumbprint; not_after = $notAfter; provider = $provider }) -Backup $saved)
}
