# File-system ACL arithmetic shared by key files (35_certs.ps1) and folders
# (50_files.ps1): access masks <-> the contract's right names, compared by SID
# (GetAccessRules with [System.Security.Principal.SecurityIdentifier]).
# Names, weakest to strongest: read, read_execute, write, modify, full_control
# (as the lab's acl.RIGHTS_ORDER); a mask matching none of them is 'special'; write bits no name
# covers add create_files / append_data.

$script:RightsOrder = @('read', 'read_execute', 'write', 'modify', 'full_control')
# masks without SYNCHRONIZE (0x100000), which some tools leave out
$script:RightMasks = [ordered]@{
    full_control = [int64]983551    # 0x0F01FF
    modify = [int64]197055          # 0x0301BF
    read_execute = [int64]131241    # 0x0200A9
    read = [int64]131209            # 0x020089
    write = [int64]278              # 0x000116
}

function ConvertTo-AgentMask {
    # An access mask as an unsigned 32-bit number with GENERIC_* bits mapped to file rights.
    param($Rights)
    $mask = ([int64]([int32]$Rights)) -band [int64]4294967295
    if ($mask -band [int64]268435456) { $mask = $mask -bor [int64]2032127 }    # GENERIC_ALL -> FullControl
    if ($mask -band [int64]2147483648) { $mask = $mask -bor [int64]1179785 }   # GENERIC_READ -> Read
    if ($mask -band [int64]1073741824) { $mask = $mask -bor [int64]1179926 }   # GENERIC_WRITE -> Write
    if ($mask -band [int64]536870912) { $mask = $mask -bor [int64]1179808 }    # GENERIC_EXECUTE -> Execute
    return $mask
}

function ConvertTo-AgentRightNames {
    # Mask -> the strongest names it grants (full_control and modify alone; else read[_execute] and/or write).
    param([int64]$Mask)
    $has = @{}
    foreach ($name in $script:RightMasks.Keys) {
        $need = $script:RightMasks[$name]
        $has[$name] = (($Mask -band $need) -eq $need)
    }
    if ($has['full_control']) { return , [object[]]@('full_control') }
    if ($has['modify']) { return , [object[]]@('modify') }
    $names = New-Object System.Collections.Generic.List[object]
    if ($has['read_execute']) { $names.Add('read_execute') } elseif ($has['read']) { $names.Add('read') }
    if ($has['write']) { $names.Add('write') }
    if ($names.Count -eq 0) { $names.Add('special') }
    # Write bits no name above covers are named too (FileSystemRights CreateFiles = WriteData = 0x2,
    # AppendData = CreateDirectories = 0x4): BUILTIN\Users on %windir%\Temp holds 0x100026 by default,
    # which lets NETWORK SERVICE create files there (TEMP_ACL must not be reported for it).
    if (-not $has['write']) {
        if ($Mask -band [int64]2) { $names.Add('create_files') }
        if ($Mask -band [int64]4) { $names.Add('append_data') }
    }
    return , $names.ToArray()
}

function Test-AgentRightImplied {
    # Do the held right names grant Wanted? (modify covers write and read; write covers nothing else)
    param($Held, [string]$Wanted)
    if (@($Held) -contains $Wanted) { return $true }
    if ($Wanted -eq 'write') { return ((@($Held) -contains 'modify') -or (@($Held) -contains 'full_control')) }
    $rank = [array]::IndexOf($script:RightsOrder, $Wanted)
    foreach ($name in @($Held)) {
        if ($name -ne 'write' -and [array]::IndexOf($script:RightsOrder, [string]$name) -ge $rank) { return $true }
    }
    return $false
}

function Get-AgentFileSystemRights {
    param([string]$Name)
    switch ($Name) {
        'read' { return [System.Security.AccessControl.FileSystemRights]::Read }
        'read_execute' { return [System.Security.AccessControl.FileSystemRights]::ReadAndExecute }
        'write' { return [System.Security.AccessControl.FileSystemRights]::Write }
        'modify' { return [System.Security.AccessControl.FileSystemRights]::Modify }
        'full_control' { return [System.Security.AccessControl.FileSystemRights]::FullControl }
    }
    throw (New-AgentError -Code 'invalid_request' -Text ('unknown right {0} (read, read_execute, write, modify, full_control)' -f $Name))
}

function Get-AgentAceRecords {
    # [{sid, rights, type, inherited}] of a FileSystemSecurity, one per ACE.
    param($Security)
    $aces = New-Object System.Collections.Generic.List[object]
    foreach ($rule in $Security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        $type = 'allow'
        if ($rule.AccessControlType -eq [System.Security.AccessControl.AccessControlType]::Deny) { $type = 'deny' }
        $aces.Add([ordered]@{
            sid = $rule.IdentityReference.Value.ToUpperInvariant()
            rights = (ConvertTo-AgentRightNames -Mask (ConvertTo-AgentMask -Rights $rule.FileSystemRights))
            type = $type
            inherited = [bool]$rule.IsInherited
        })
    }
    return , $aces
}

function Get-AgentKeyAceRecords {
    # [{sid, rights}] of a key file: allow ACEs merged per SID (the contract's key_ace).
    param($Security)
    $masks = [ordered]@{}
    foreach ($rule in $Security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne [System.Security.AccessControl.AccessControlType]::Allow) { continue }
        $sid = $rule.IdentityReference.Value.ToUpperInvariant()
        $mask = ConvertTo-AgentMask -Rights $rule.FileSystemRights
        if ($masks.Contains($sid)) { $masks[$sid] = $masks[$sid] -bor $mask } else { $masks[$sid] = $mask }
    }
    $aces = New-Object System.Collections.Generic.List[object]
    foreach ($sid in $masks.Keys) {
        $aces.Add([ordered]@{ sid = $sid; rights = (ConvertTo-AgentRightNames -Mask $masks[$sid]) })
    }
    return , $aces
}

function Get-AgentHeldRights {
    # Right names the SID holds through allow ACEs (explicit or inherited).
    param($Aces, [string]$Sid)
    $held = New-Object System.Collections.Generic.List[object]
    foreach ($ace in $Aces) {
        if ($ace['sid'] -eq $Sid -and (-not $ace.Contains('type') -or $ace['type'] -eq 'allow')) {
            foreach ($name in $ace['rights']) { $held.Add($name) }
        }
    }
    return , $held.ToArray()
}
