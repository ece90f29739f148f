# AD account flags through ADSI: DirectorySearcher on sAMAccountName (value escaped
# per RFC 4515), then DirectoryEntry.RefreshCache for the constructed attribute
# msDS-User-Account-Control-Computed (bits 0x10 locked out, 0x800000 password
# expired) and userAccountControl (0x2 disabled). Any failure to ask AD (the WinRM
# double hop leaves the agent without a credential for the DC) gives status
# unknown with the exception type and HRESULT as reason, never "healthy".
# Read: ad_account.

function ConvertTo-AgentLdapValue {
    # RFC 4515 escaping of a value inside an LDAP filter.
    param([string]$Text)
    $builder = New-Object System.Text.StringBuilder
    foreach ($ch in $Text.ToCharArray()) {
        switch ([int]$ch) {
            92 { [void]$builder.Append('\5c') }
            42 { [void]$builder.Append('\2a') }
            40 { [void]$builder.Append('\28') }
            41 { [void]$builder.Append('\29') }
            0 { [void]$builder.Append('\00') }
            default { [void]$builder.Append($ch) }
        }
    }
    return $builder.ToString()
}

function Split-AgentAccount {
    # 'DOMAIN\user' | 'user@domain.fqdn' | 'user' -> @{domain; user}
    param([string]$Account)
    if ($Account.Contains('\')) {
        $cut = $Account.IndexOf('\')
        return @{ domain = $Account.Substring(0, $cut); user = $Account.Substring($cut + 1) }
    }
    if ($Account.Contains('@')) {
        $cut = $Account.LastIndexOf('@')
        return @{ domain = $Account.Substring($cut + 1); user = $Account.Substring(0, $cut) }
    }
    return @{ domain = ''; user = $Account }
}

function Get-AgentUnknownAccount {
    param([string]$Reason)
    return [ordered]@{ status = 'unknown'; reason = $Reason; locked = $null; password_expired = $null; disabled = $null; sid = $null }
}

function Get-AgentFailureReason {
    # Exception type name and HRESULT (locale-free) of a caught error.
    param($Failure)
    $exception = $Failure
    if ($Failure -is [System.Management.Automation.ErrorRecord]) { $exception = $Failure.Exception }
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    return ('{0} (HRESULT 0x{1:X8})' -f $exception.GetType().FullName, $exception.HResult)
}

function Read-AgentAdAccount {
    # read ad_account: status known|unknown, reason, locked, password_expired, disabled, sid
    param($A)
    $account = Split-AgentAccount -Account ([string]$A['account'])
    if ($account['user'].Length -eq 0) { throw (New-AgentError -Code 'invalid_request' -Text 'account: give DOMAIN\user') }
    $domain = $account['domain']
    if ($domain -eq '.' -or $domain -eq $env:COMPUTERNAME) {
        return (Get-AgentUnknownAccount -Reason 'local account: not an Active Directory account')
    }
    if ($domain.Length -gt 0 -and $domain -notmatch '^[A-Za-z0-9][A-Za-z0-9.-]*$') {
        throw (New-AgentError -Code 'invalid_request' -Text ('account: not a domain name: {0}' -f $domain))
    }
    $root = $null
    $searcher = $null
    try {
        if ($domain.Length -gt 0) {
            $root = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://' + $domain)
            $searcher = New-Object System.DirectoryServices.DirectorySearcher ($root)
        } else {
            $searcher = New-Object System.DirectoryServices.DirectorySearcher
        }
        $searcher.Filter = '(&(objectCategory=person)(objectClass=user)(sAMAccountName={0}))' -f (ConvertTo-AgentLdapValue -Text $account['user'])
        $searcher.SearchScope = [System.DirectoryServices.SearchScope]::Subtree
        $searcher.ClientTimeout = [System.TimeSpan]::FromSeconds(30)
        [void]$searcher.PropertiesToLoad.Add('distinguishedName')
        $hit = $searcher.FindOne()
        if ($null -eq $hit) {
            throw (New-AgentError -Code 'not_found' -Text ('account {0} does not exist in the domain' -f $A['account']))
        }
        $entry = $hit.GetDirectoryEntry()
        try {
            $entry.RefreshCache([string[]]@('msDS-User-Account-Control-Computed', 'userAccountControl', 'objectSid'))
            $computed = [int64]0
            if ($entry.Properties.Contains('msDS-User-Account-Control-Computed')) { $computed = [int64]$entry.Properties['msDS-User-Account-Control-Computed'].Value }
            $uac = [int64]512
            if ($entry.Properties.Contains('userAccountControl')) { $uac = [int64]$entry.Properties['userAccountControl'].Value }
            $sid = $null
            if ($entry.Properties.Contains('objectSid')) {
                $sid = (New-Object System.Security.Principal.SecurityIdentifier ([byte[]]$entry.Properties['objectSid'].Value, 0)).Value
            }
        } finally {
            $entry.Dispose()
        }
        return [ordered]@{
            status = 'known'; reason = $null
            locked = (($computed -band 16) -ne 0)
            password_expired = (($computed -band 8388608) -ne 0)
            disabled = (($uac -band 2) -ne 0)
            sid = $sid
        }
    } catch {
        $info = Get-AgentErrorInfo -Failure $_
        if ($info['code'] -eq 'not_found' -and $_.Exception.Data.Contains('ndes.scep.code')) { throw }
        return (Get-AgentUnknownAccount -Reason ('Active Directory could not be asked: ' + (Get-AgentFailureReason -Failure $_)))
    } finally {
        if ($null -ne $searcher) { $searcher.Dispose() }
        if ($null -ne $root) { $root.Dispose() }
    }
}
