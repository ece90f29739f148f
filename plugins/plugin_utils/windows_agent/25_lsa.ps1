# User rights: holders through LSA (LsaEnumerateAccountsWithUserRight; grants and
# removals through LsaAddAccountRights / LsaRemoveAccountRights, 05_native.ps1),
# the GPO definition through RSOP (root\rsop\computer RSOP_UserPrivilegeRight with
# precedence=1, GPO names from RSOP_GPO). Accounts are compared as SIDs only.
# Read: user_right, resolve_principal. Ensure: user_right_grant.

$script:RecycleNote = 'a worker process sees a user-right change after an app pool recycle or iis_reset'

function Test-AgentExceptionType {
    # Is the caught error (or an exception it wraps) of one of these types or a subclass? By type, never by
    # message text.
    param($Failure, [string[]]$TypeName)
    foreach ($exception in (Get-AgentExceptionChain -Failure $Failure)) {
        $type = $exception.GetType()
        while ($null -ne $type) {
            if ($TypeName -contains $type.FullName) { return $true }
            $type = $type.BaseType
        }
    }
    return $false
}

function ConvertTo-AgentSid {
    # SID string for a SID ('S-1-...', '*S-1-...') or an account name; $null when it names no account:
    # a malformed SID string or account name (ArgumentException) or a name LSA cannot map
    # (IdentityNotMappedException), both caught by TYPE. Any other failure of the lookup (Win32Exception /
    # SystemException: 1789 the trust relationship with the domain failed, access denied) proves nothing
    # about the account: it is thrown as an agent error (code by exception type, 03_errors.ps1), so the
    # read fails instead of reporting "not found".
    param([string]$Name)
    $text = $Name.Trim()
    if ($text.StartsWith('*')) { $text = $text.Substring(1) }
    try {
        if ($text -match '^[Ss]-1-') {
            return ([System.Security.Principal.SecurityIdentifier]::new($text)).Value
        }
        $account = [System.Security.Principal.NTAccount]::new($text)
        return $account.Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        if (Test-AgentExceptionType -Failure $_ -TypeName @('System.Security.Principal.IdentityNotMappedException', 'System.ArgumentException')) {
            return $null
        }
        $info = Get-AgentErrorInfo -Failure $_
        throw (New-AgentError -Code $info['code'] -Text ('could not look up the account {0} (LSA): {1}; this does not say it does not exist' -f $Name, $info['message']))
    }
}

function Assert-AgentSid {
    # The canonical (upper-case) SID string, or invalid_request.
    param([string]$Sid)
    try {
        return (New-Object System.Security.Principal.SecurityIdentifier $Sid).Value.ToUpperInvariant()
    } catch {
        throw (New-AgentError -Code 'invalid_request' -Text ('not a SID: {0} (give S-1-...)' -f $Sid))
    }
}

function Test-AgentSidMapped {
    # Does a SID name an account on this host? LSA looks it up (SecurityIdentifier.Translate to NTAccount,
    # i.e. LsaLookupSids). A grant to a SID that names no account fails with not_found, before any backup
    # or change (check mode too); IdentityNotMappedException is caught by TYPE, never by message text.
    # Any other failure of the lookup (the trust relationship with the domain failed: SystemException under
    # .NET Framework / Windows PowerShell 5.1, Win32Exception 1789 under .NET) proves nothing: the grant
    # goes ahead and the returned warning says why. Not for restore replays
    # ($script:Ctx.Backups off): a holder the run removed goes back even when its account is gone since.
    param([string]$Sid)
    if (-not $script:Ctx.Backups) { return $null }
    try {
        $identity = New-Object System.Security.Principal.SecurityIdentifier ($Sid)
        [void]$identity.Translate([System.Security.Principal.NTAccount])
    } catch [System.Security.Principal.IdentityNotMappedException] {
        throw (New-AgentError -Code 'not_found' -Text ('SID {0} names no account on this host (LSA cannot map it to a name): nothing was changed. Check the account (deleted? a typo in the SID?) and give the SID of an existing account, e.g. the NDES service account''s SID, or its name (DOMAIN\user) to have it resolved.' -f $Sid))
    } catch {
        return ('could not check that SID {0} names an account ({1}); granted anyway' -f $Sid, $_.Exception.GetBaseException().GetType().FullName)
    }
    return $null
}

function Get-AgentSortedSids {
    # Upper-case, distinct, in ordinal order (the order secedit /export lists them in, as the lab keeps them).
    param($Sids)
    $set = New-Object 'System.Collections.Generic.SortedSet[string]' ([System.StringComparer]::Ordinal)
    foreach ($sid in $Sids) { if ($null -ne $sid) { [void]$set.Add(([string]$sid).ToUpperInvariant()) } }
    return , [object[]]@($set)
}

# CimException NativeErrorCode names (Microsoft.Management.Infrastructure.NativeErrorCode, MI_Result) that
# mean "RSOP holds no data": the namespace (root\rsop\computer) or the class is absent, or nothing was found.
$script:RsopAbsentCodes = @('InvalidNamespace', 'InvalidClass', 'NotFound')

function Test-AgentRsopAbsent {
    # Does this RSOP query error mean "no RSOP data"? Only a CimException whose NativeErrorCode is one of
    # $script:RsopAbsentCodes (compared by enum name, never by message text).
    param($Failure)
    foreach ($walk in (Get-AgentExceptionChain -Failure $Failure)) {
        if ($walk.GetType().FullName -eq 'Microsoft.Management.Infrastructure.CimException') {
            return ($script:RsopAbsentCodes -contains [string]$walk.NativeErrorCode)
        }
    }
    return $false
}

function Get-AgentRightGpo {
    # {gpo_defined, gpo_holders, gpo_source} from RSOP. gpo_defined: $true (a GPO defines the right),
    # $false (RSOP has no data, or none for the right), $null = unknown: the RSOP query failed for any other
    # reason (access denied, WMI failure): the caller must not act as if no GPO defined the right.
    param([string]$Right)
    $out = [ordered]@{ gpo_defined = $false; gpo_holders = [object[]]@(); gpo_source = $null }
    try {
        $rows = @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_UserPrivilegeRight' -Filter 'precedence=1' -ErrorAction Stop)
    } catch {
        if (Test-AgentRsopAbsent -Failure $_) {
            return $out   # no RSOP data (no domain policy applied, or the namespace / class is absent)
        }
        $out['gpo_defined'] = $null   # could not see the GPO definition: unknown, never "not defined"
        return $out
    }
    foreach ($row in $rows) {
        if ([string]$row.UserRight -ne $Right) { continue }
        $sids = New-Object System.Collections.Generic.List[object]
        foreach ($entry in @($row.AccountList)) {
            if ([string]::IsNullOrEmpty($entry)) { continue }
            try {
                $sid = ConvertTo-AgentSid -Name $entry
            } catch {
                $sid = $null   # the lookup failed (e.g. trust failure): proves nothing, keep the entry as written
            }
            if ($null -eq $sid) { $sid = [string]$entry }   # keep an unresolvable entry as written in the GPO
            $sids.Add($sid)
        }
        $source = [string]$row.GPOID
        try {
            foreach ($gpo in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_GPO' -ErrorAction Stop)) {
                if ([string]$gpo.id -eq $source -and -not [string]::IsNullOrEmpty([string]$gpo.name)) { $source = [string]$gpo.name }
            }
        } catch {
            $source = [string]$row.GPOID
        }
        $out['gpo_defined'] = $true
        $out['gpo_holders'] = Get-AgentSortedSids -Sids $sids
        $out['gpo_source'] = $source
        return $out
    }
    return $out
}

function Get-AgentRightHolders {
    param([string]$Right)
    if ($Right -notmatch '^Se[A-Za-z]+(Privilege|Right)$') {
        throw (New-AgentError -Code 'invalid_request' -Text ('not a user right constant: {0} (e.g. SeImpersonatePrivilege)' -f $Right))
    }
    Initialize-AgentNative
    return , (Get-AgentSortedSids -Sids ([NdesScep.Lsa]::Holders($Right)))
}

function Read-AgentUserRight {
    # read user_right: holders [SID] (LSA), gpo_defined, gpo_holders, gpo_source (RSOP)
    param($A)
    $right = [string]$A['right']
    $out = [ordered]@{ holders = (Get-AgentRightHolders -Right $right) }
    $gpo = Get-AgentRightGpo -Right $right
    foreach ($key in $gpo.Keys) { $out[$key] = $gpo[$key] }
    return $out
}

function Read-AgentResolvePrincipal {
    # read resolve_principal: principals {name: SID or null}, resolved by the OS (LSA lookups)
    param($A)
    $principals = [ordered]@{}
    foreach ($name in $A['names']) { $principals[[string]$name] = ConvertTo-AgentSid -Name ([string]$name) }
    return [ordered]@{ principals = $principals }
}

function Invoke-EnsureUserRightGrant {
    # ensure user_right_grant: before/after {holders}; backup: holders list; precondition when a GPO defines it.
    param($A)
    $right = [string]$A['right']
    $add = @(foreach ($sid in @(Get-AgentArg $A 'add' @())) { Assert-AgentSid -Sid $sid })
    $remove = @(foreach ($sid in @(Get-AgentArg $A 'remove' @())) { Assert-AgentSid -Sid $sid })
    $holders = Get-AgentRightHolders -Right $right
    $lookupWarnings = New-Object System.Collections.Generic.List[string]
    foreach ($sid in @($add | Where-Object { $holders -notcontains $_ })) {
        $warning = Test-AgentSidMapped -Sid $sid
        if ($null -ne $warning) { $lookupWarnings.Add($warning) }
    }
    $gpo = Get-AgentRightGpo -Right $right
    $kept = @($holders | Where-Object { $remove -notcontains $_ })
    $new = Get-AgentSortedSids -Sids (@($kept) + @($add))
    $changed = ((@($new) -join ',') -ne (@($holders) -join ','))
    $before = [ordered]@{ holders = $holders }
    $after = [ordered]@{ holders = $new }
    $override = [bool](Get-AgentArg $A 'override_gpo' $false)
    if ($changed -and $gpo['gpo_defined'] -and -not $override) {
        throw (New-AgentError -Code 'precondition' -Text ('{0} is defined by the GPO {1}: a local change is reverted at the next policy refresh; change the GPO (or pass override_gpo)' -f $right, $gpo['gpo_source']))
    }
    if ($changed -and $null -eq $gpo['gpo_defined'] -and -not $override) {
        throw (New-AgentError -Code 'precondition' -Text ('could not read the GPO definition of {0} (RSOP): nothing was changed; rerun with rights to read root\rsop\computer or pass override_gpo' -f $right))
    }
    if (-not $changed) { return (New-AgentEnsureResult -Changed $false -Before $before -After $before) }
    $warnings = @($lookupWarnings) + @($script:RecycleNote)
    if ($script:Ctx.Check) {
        return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Warnings $warnings)
    }
    $added = @($new | Where-Object { $holders -notcontains $_ })
    $removed = @($holders | Where-Object { $new -notcontains $_ })
    $restore = [ordered]@{ kind = 'user_right_grant'; args = [ordered]@{ right = $right; add = [object[]]$removed; remove = [object[]]$added; override_gpo = $true } }
    $saved = Save-AgentBackupJson -Kind 'user_right' -Source $right -Data $before -Restore $restore
    foreach ($sid in $added) { [NdesScep.Lsa]::Add($sid, $right) }
    foreach ($sid in $removed) { [NdesScep.Lsa]::Remove($sid, $right) }
    $after = [ordered]@{ holders = (Get-AgentRightHolders -Right $right) }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved -Warnings $warnings)
}
