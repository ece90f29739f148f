# Backups and the host lock.
#   %ProgramData%\ndes.scep\backups\<run_id>\<item files> + manifest.json
#   manifest: {run_id, created, items: [{id, kind, source, file, restore: {kind, args}, created}]}
# An ensure writes its backup item before it changes anything; a restore replays
# the manifest's restore ops newest first, taking no backups of its own.
# The backup root gets a protected DACL (SYSTEM and Administrators) when created.
# Lock: the named mutex Global\ndes.scep, waited for up to 60 s.

$script:BackupRoot = Join-Path $env:ProgramData 'ndes.scep\backups'
$script:LockName = 'Global\ndes.scep'
$script:LockTimeoutMs = 60000

function Test-AgentRunId {
    param([string]$RunId)
    if ($RunId -cnotmatch '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$') {
        throw (New-AgentError -Code 'invalid_request' -Text ("run_id must be letters, digits, '.', '_' or '-' (at most 128), got {0}" -f $RunId))
    }
    return $RunId
}

function New-AgentRunId {
    $random = New-Object byte[] 2
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($random) } finally { $rng.Dispose() }
    return ('{0}-{1:x2}{2:x2}' -f [datetime]::UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", $script:Invariant), $random[0], $random[1])
}

function Get-AgentRunDir {
    param([string]$RunId)
    return (Join-Path $script:BackupRoot (Test-AgentRunId -RunId $RunId))
}

function Initialize-AgentBackupRoot {
    if ([System.IO.Directory]::Exists($script:BackupRoot)) { return }
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm('D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', [System.Security.AccessControl.AccessControlSections]::Access)
    [void][System.IO.Directory]::CreateDirectory($script:BackupRoot, $security)
}

function Read-AgentManifest {
    # The manifest of a run, or $null.
    param([string]$RunId)
    $file = Join-Path (Get-AgentRunDir -RunId $RunId) 'manifest.json'
    if (-not [System.IO.File]::Exists($file)) { return $null }
    return (Read-AgentJson -Text ([System.IO.File]::ReadAllText($file, [System.Text.Encoding]::UTF8)))
}

function Save-AgentBackupBytes {
    # Write one backup item and its manifest entry; the item file's path ($null when backups are off: restore replays).
    param(
        [string]$Kind,
        [string]$Source,
        [string]$Suffix,
        [byte[]]$Bytes,
        $Restore
    )
    if (-not $script:Ctx.Backups) { return $null }
    if ($null -eq $script:Ctx.RunId) { $script:Ctx.RunId = New-AgentRunId }
    Initialize-AgentBackupRoot
    $directory = Get-AgentRunDir -RunId $script:Ctx.RunId
    [void][System.IO.Directory]::CreateDirectory($directory)
    $doc = Read-AgentManifest -RunId $script:Ctx.RunId
    if ($null -eq $doc) { $doc = [ordered]@{ run_id = $script:Ctx.RunId; created = (Format-AgentTime -When $script:Ctx.Now); items = [object[]]@() } }
    $items = New-Object System.Collections.Generic.List[object]
    foreach ($item in @($doc['items'])) { if ($null -ne $item) { $items.Add($item) } }
    $itemId = '{0:d3}-{1}' -f ($items.Count + 1), ($script:Ctx.OpId -replace '[^A-Za-z0-9._-]', '_')
    $file = Join-Path $directory ($itemId + $Suffix)
    [System.IO.File]::WriteAllBytes($file, $Bytes)
    $items.Add([ordered]@{ id = $itemId; kind = $Kind; source = $Source; file = [System.IO.Path]::GetFileName($file)
                           restore = $Restore; created = (Format-AgentTime -When $script:Ctx.Now) })
    $doc['items'] = $items
    $json = ConvertTo-AgentJson -InputObject $doc
    [System.IO.File]::WriteAllText((Join-Path $directory 'manifest.json'), $json, (New-Object System.Text.UTF8Encoding ($false)))
    return $file
}

function Save-AgentBackupJson {
    param(
        [string]$Kind,
        [string]$Source,
        $Data,
        $Restore,
        [string]$Suffix = '.json'
    )
    $bytes = [System.Text.Encoding]::ASCII.GetBytes((ConvertTo-AgentJson -InputObject $Data))
    return (Save-AgentBackupBytes -Kind $Kind -Source $Source -Suffix $Suffix -Bytes $bytes -Restore $Restore)
}

function Read-AgentBackups {
    # read backups: runs [{run_id, created, items}], oldest first
    param($A)
    $runId = Get-AgentArg $A 'run_id'
    $names = @()
    if ($null -ne $runId) {
        $names = @([string]$runId)
    } elseif ([System.IO.Directory]::Exists($script:BackupRoot)) {
        $names = @((New-Object System.IO.DirectoryInfo ($script:BackupRoot)).GetDirectories() | ForEach-Object { $_.Name } | Sort-Object)
    }
    $runs = New-Object System.Collections.Generic.List[object]
    foreach ($name in $names) {
        $doc = $null
        try { $doc = Read-AgentManifest -RunId $name } catch { $doc = $null }
        if ($null -eq $doc) { continue }
        $runs.Add([ordered]@{ run_id = $doc['run_id']; created = $doc['created']; items = [object[]]@($doc['items']) })
    }
    return [ordered]@{ runs = $runs }
}

# Restore kinds that put back an absolute state (the whole file, the value, the pool's state, the DACL),
# with the args that name their target. When several items of one replay restore the same target, the
# oldest holds the state before the run; the newer ones would only write intermediate states it
# overwrites, so they are skipped (as the lab agent does: _lab/agent.py ABSOLUTE_RESTORES).
$script:AbsoluteRestores = [ordered]@{
    'file_restore'    = @('path')
    'registry_value'  = @('path', 'name')
    'app_pool_state'  = @('name')
    'service_state'   = @('name')
    'event_log_state' = @('log')
    'key_acl_set'     = @('store', 'thumbprint')
    'folder_acl_set'  = @('path')
}

function Get-AgentRestoreTarget {
    # The target an absolute-state restore op puts back (lower-case, '/' as '\'), or $null.
    param($Op)
    $kind = [string]$Op['kind']
    if (-not $script:AbsoluteRestores.Contains($kind)) { return $null }
    $opArgs = $Op['args']
    $parts = @($kind)
    foreach ($name in $script:AbsoluteRestores[$kind]) {
        $value = ''
        if ($null -ne $opArgs -and $null -ne $opArgs[$name]) { $value = [string]$opArgs[$name] }
        $parts += $value.Replace('/', '\').ToLowerInvariant()
    }
    return ($parts -join [char]0)
}

function Get-AgentSupersededItems {
    # Ids of items (oldest first) whose target an OLDER item of the same list restores too.
    param($Items)
    $seen = @{}
    $out = @{}
    foreach ($item in $Items) {
        $target = Get-AgentRestoreTarget -Op $item['restore']
        if ($null -eq $target) { continue }
        if ($seen.ContainsKey($target)) { $out[[string]$item['id']] = $true }
        $seen[$target] = $true
    }
    return $out
}

function Invoke-EnsureRestore {
    # ensure restore: replays a run's manifest restore ops, newest first; before/after {restored, unchanged}.
    # Each handler compares the host with the backed-up state first (registry value, config file bytes,
    # holders, pool state, service state, DACL SDDL, store membership, archived flag) and changes nothing
    # when they are equal; an item superseded by an older item of the same target is not replayed. Both
    # kinds of item are listed in unchanged, so rolling back the same run twice changes nothing.
    param($A)
    $runId = [string]$A['run_id']
    $doc = Read-AgentManifest -RunId $runId
    if ($null -eq $doc) { throw (New-AgentError -Code 'not_found' -Text ('no backup run {0} under {1}' -f $runId, $script:BackupRoot)) }
    $items = @($doc['items'] | Where-Object { $null -ne $_ })
    $only = Get-AgentArg $A 'items'
    if ($null -ne $only -and @($only).Count -gt 0) {
        $known = @($items | ForEach-Object { [string]$_['id'] })
        $missing = @($only | Where-Object { $known -notcontains $_ })
        if ($missing.Count -gt 0) { throw (New-AgentError -Code 'not_found' -Text ('run {0} has no items {1}' -f $runId, ($missing -join ', '))) }
        $items = @($items | Where-Object { @($only) -contains $_['id'] })
    }
    $saved = @{ Backups = $script:Ctx.Backups; OpId = $script:Ctx.OpId; ItemFile = $script:Ctx.ItemFile }
    $done = New-Object System.Collections.Generic.List[object]
    $unchanged = New-Object System.Collections.Generic.List[object]
    $skip = Get-AgentSupersededItems -Items $items
    $changed = $false
    try {
        $script:Ctx.Backups = $false
        for ($i = $items.Count - 1; $i -ge 0; $i--) {
            $item = $items[$i]
            $op = $item['restore']
            $kind = [string]$op['kind']
            $handler = $null
            if ($script:AgentKinds.Contains($kind) -and $script:AgentKinds[$kind][0] -eq 'ensure' -and $kind -ne 'restore' -and $kind -ne 'lab_inject') {
                $handler = $script:AgentKinds[$kind][1]
            } elseif ($script:RestoreOnlyKinds.Contains($kind)) {
                $handler = $script:RestoreOnlyKinds[$kind]
            }
            if ($null -eq $handler) {
                throw (New-AgentError -Code 'internal' -Text ('manifest item {0} has an unknown restore kind {1}' -f $item['id'], $kind))
            }
            $done.Add([string]$item['id'])
            if ($skip.ContainsKey([string]$item['id'])) {
                $unchanged.Add([string]$item['id'])
                continue
            }
            $script:Ctx.OpId = [string]$item['id']
            $script:Ctx.ItemFile = Join-Path (Get-AgentRunDir -RunId $runId) ([string]$item['file'])
            $opArgs = $op['args']
            if ($null -eq $opArgs) { $opArgs = [ordered]@{} }
            $result = Invoke-AgentHandler -Handler $handler -OpArgs $opArgs
            if ($result['changed']) { $changed = $true } else { $unchanged.Add([string]$item['id']) }
        }
    } finally {
        $script:Ctx.Backups = $saved['Backups']
        $script:Ctx.OpId = $saved['OpId']
        $script:Ctx.ItemFile = $saved['ItemFile']
    }
    return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{ restored = [object[]]@() }) -After ([ordered]@{ restored = $done; unchanged = $unchanged }))
}

function Enter-AgentLock {
    # The held Mutex, or $null when another run holds it for more than 60 s.
    $mutex = New-Object System.Threading.Mutex ($false, $script:LockName)
    try {
        if ($mutex.WaitOne($script:LockTimeoutMs)) { return $mutex }
    } catch [System.Threading.AbandonedMutexException] {
        return $mutex   # the previous holder died: the mutex is ours now
    }
    $mutex.Dispose()
    return $null
}

function Exit-AgentLock {
    param($Mutex)
    if ($null -eq $Mutex) { return }
    try { $Mutex.ReleaseMutex() } finally { $Mutex.Dispose() }
}
