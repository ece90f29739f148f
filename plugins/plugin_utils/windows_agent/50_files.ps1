# Files and folders: the tail of the newest files matching a pattern
# (System.IO.Directory / FileInfo, FileStream opened with FileShare.ReadWrite because
# IIS keeps its log open, encoding from the BOM), folder ACLs by SID
# (DirectoryInfo.GetAccessControl().GetAccessRules(.., [SecurityIdentifier])),
# grants with FileSystemAccessRule (container + object inherit), backup as SDDL.
# Reads: file_tail, folder_acl. Ensure: folder_acl_grant.
# Restore-only: folder_acl_set, file_restore.

$script:DefaultTailBytes = 65536

function Read-AgentTail {
    # @{offset; content; truncated; encoding}: the last MaxBytes, cut forward to a line start.
    param([string]$Path, [int64]$MaxBytes)
    $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, ([System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete))
    try {
        $size = $stream.Length
        $head = New-Object byte[] 3
        $got = $stream.Read($head, 0, 3)
        $encoding = 'utf-8'
        $bom = 0
        $width = 1
        if ($got -ge 2 -and $head[0] -eq 0xFF -and $head[1] -eq 0xFE) {
            $encoding = 'utf-16-le'
            $bom = 2
            $width = 2
        } elseif ($got -ge 3 -and $head[0] -eq 0xEF -and $head[1] -eq 0xBB -and $head[2] -eq 0xBF) {
            $bom = 3
        }
        $start = [math]::Max([int64]$bom, $size - $MaxBytes)
        $start += ($start - $bom) % $width
        $count = [int]($size - $start)
        $data = New-Object byte[] $count
        [void]$stream.Seek($start, [System.IO.SeekOrigin]::Begin)
        $read = 0
        while ($read -lt $count) {
            $n = $stream.Read($data, $read, $count - $read)
            if ($n -le 0) { break }
            $read += $n
        }
    } finally {
        $stream.Dispose()
    }
    $truncated = ($start -gt $bom)
    $skip = 0
    if ($truncated) {
        $skip = -1
        for ($i = 0; $i -lt $read; $i += $width) {
            if ($data[$i] -eq 10 -and ($width -eq 1 -or ($i + 1 -lt $read -and $data[$i + 1] -eq 0))) { $skip = $i + $width; break }
        }
        if ($skip -lt 0) { $skip = $read }
    }
    if ($encoding -eq 'utf-16-le') { $decoder = New-Object System.Text.UnicodeEncoding ($false, $false) } else { $decoder = New-Object System.Text.UTF8Encoding ($false) }
    $content = $decoder.GetString($data, $skip, $read - $skip)
    return @{ offset = ($start + $skip); content = $content; truncated = $truncated; encoding = $encoding }
}

function Read-AgentHead {
    # The first HeadBytes of a file (BOM dropped), cut back to the end of its last whole line.
    param([string]$Path, [int]$HeadBytes)
    $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, ([System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete))
    try {
        $bomBytes = New-Object byte[] 3
        $got = $stream.Read($bomBytes, 0, 3)
        $bom = 0
        $width = 1
        if ($got -ge 2 -and $bomBytes[0] -eq 0xFF -and $bomBytes[1] -eq 0xFE) { $bom = 2; $width = 2 }
        elseif ($got -ge 3 -and $bomBytes[0] -eq 0xEF -and $bomBytes[1] -eq 0xBB -and $bomBytes[2] -eq 0xBF) { $bom = 3 }
        [void]$stream.Seek($bom, [System.IO.SeekOrigin]::Begin)
        $data = New-Object byte[] ([math]::Max(0, $HeadBytes))
        $read = 0
        while ($read -lt $data.Length) {
            $n = $stream.Read($data, $read, $data.Length - $read)
            if ($n -le 0) { break }
            $read += $n
        }
    } finally {
        $stream.Dispose()
    }
    $end = 0
    for ($i = 0; $i + $width -le $read; $i += $width) {
        if ($data[$i] -eq 10 -and ($width -eq 1 -or $data[$i + 1] -eq 0)) { $end = $i + $width }
    }
    if ($width -eq 2) { $decoder = New-Object System.Text.UnicodeEncoding ($false, $false) } else { $decoder = New-Object System.Text.UTF8Encoding ($false) }
    return $decoder.GetString($data, 0, $end)
}

function Read-AgentFileTail {
    # read file_tail: files [file] newest last (at most max_files), each the tail of at most max_bytes;
    # with head_bytes a truncated file also carries head (its first whole lines)
    param($A)
    $directory = [System.Environment]::ExpandEnvironmentVariables([string]$A['directory'])
    if (-not [System.IO.Directory]::Exists($directory)) {
        throw (New-AgentError -Code 'not_found' -Text ('directory {0} does not exist' -f $A['directory']))
    }
    $pattern = New-Object System.Management.Automation.WildcardPattern ([string]$A['pattern'], [System.Management.Automation.WildcardOptions]::IgnoreCase)
    $since = $null
    $sinceText = Get-AgentArg $A 'since'
    if ($null -ne $sinceText) {
        $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
        $parsed = [datetime]::MinValue
        if (-not [datetime]::TryParse([string]$sinceText, $script:Invariant, $styles, [ref]$parsed)) {
            throw (New-AgentError -Code 'invalid_request' -Text ('since: not an ISO-8601 time: {0}' -f $sinceText))
        }
        $since = $parsed
    }
    $found = New-Object System.Collections.Generic.List[object]
    foreach ($file in (New-Object System.IO.DirectoryInfo ($directory)).GetFiles()) {
        if (-not $pattern.IsMatch($file.Name)) { continue }
        if ($null -ne $since -and $file.LastWriteTimeUtc -lt $since) { continue }
        $found.Add($file)
    }
    $sorted = @($found | Sort-Object -Property @{ Expression = { $_.LastWriteTimeUtc } }, @{ Expression = { $_.Name } })
    $keep = [int](Get-AgentArg $A 'max_files' 1)
    if ($keep -lt 1) { $keep = 1 }
    if ($sorted.Count -gt $keep) { $sorted = $sorted[($sorted.Count - $keep)..($sorted.Count - 1)] }
    $maxBytes = [int64](Get-AgentArg $A 'max_bytes' $script:DefaultTailBytes)
    $files = New-Object System.Collections.Generic.List[object]
    foreach ($file in $sorted) {
        $tail = Read-AgentTail -Path $file.FullName -MaxBytes $maxBytes
        $record = [ordered]@{
            path = ($directory.TrimEnd('\') + '\' + $file.Name); size = [int64]$file.Length
            modified = (Format-AgentTime -When $file.LastWriteTimeUtc); offset = [int64]$tail['offset']
            content = $tail['content']; truncated = [bool]$tail['truncated']; encoding = $tail['encoding']
        }
        $headBytes = [int](Get-AgentArg $A 'head_bytes' 0)
        if ($record['truncated'] -and $headBytes -gt 0) { $record['head'] = Read-AgentHead -Path $file.FullName -HeadBytes $headBytes }
        $files.Add($record)
    }
    return [ordered]@{ files = $files }
}

function Get-AgentFolder {
    param([string]$Path)
    $folder = New-Object System.IO.DirectoryInfo ([System.Environment]::ExpandEnvironmentVariables($Path))
    if (-not $folder.Exists) { throw (New-AgentError -Code 'not_found' -Text ('folder {0} does not exist' -f $Path)) }
    return $folder
}

function Read-AgentFolderAcl {
    # read folder_acl: owner_sid, aces [{sid, rights, type, inherited}]
    param($A)
    $folder = Get-AgentFolder -Path $A['path']
    $sections = [System.Security.AccessControl.AccessControlSections]::Access -bor [System.Security.AccessControl.AccessControlSections]::Owner
    $security = $folder.GetAccessControl($sections)
    $owner = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
    $ownerSid = $null
    if ($null -ne $owner) { $ownerSid = $owner.Value.ToUpperInvariant() }
    return [ordered]@{ owner_sid = $ownerSid; aces = (Get-AgentAceRecords -Security $security) }
}

function Invoke-EnsureFolderAclGrant {
    # ensure folder_acl_grant: before/after {aces}; backup: the folder's ACL (SDDL).
    param($A)
    $path = [string]$A['path']
    $sid = Assert-AgentSid -Sid $A['sid']
    $right = [string]$A['rights']
    $folder = Get-AgentFolder -Path $path
    $security = $folder.GetAccessControl([System.Security.AccessControl.AccessControlSections]::Access)
    $current = Get-AgentAceRecords -Security $security
    $before = [ordered]@{ aces = $current }
    if (Test-AgentRightImplied -Held (Get-AgentHeldRights -Aces $current -Sid $sid) -Wanted $right) {
        return (New-AgentEnsureResult -Changed $false -Before $before -After $before)
    }
    $lookupWarning = Test-AgentSidMapped -Sid $sid   # a SID that names no account: not_found, nothing written
    $sddl = $security.GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access)
    $inherit = [System.Security.AccessControl.InheritanceFlags]::ContainerInherit -bor [System.Security.AccessControl.InheritanceFlags]::ObjectInherit
    $rule = New-Object System.Security.AccessControl.FileSystemAccessRule ((New-Object System.Security.Principal.SecurityIdentifier $sid), (Get-AgentFileSystemRights -Name $right), $inherit, [System.Security.AccessControl.PropagationFlags]::None, [System.Security.AccessControl.AccessControlType]::Allow)
    $security.AddAccessRule($rule)
    $after = [ordered]@{ aces = (Get-AgentAceRecords -Security $security) }
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Warnings $lookupWarning) }
    $owner = (Read-AgentFolderAcl -A @{ path = $path })['owner_sid']
    $saved = Save-AgentBackupJson -Kind 'folder_acl' -Source $path -Data ([ordered]@{ owner_sid = $owner; aces = $current; sddl = $sddl }) -Restore ([ordered]@{ kind = 'folder_acl_set'; args = [ordered]@{ path = $path; sddl = $sddl } }) -Suffix '.acl.json'
    $folder.SetAccessControl($security)
    $after = [ordered]@{ aces = (Get-AgentAceRecords -Security $folder.GetAccessControl([System.Security.AccessControl.AccessControlSections]::Access)) }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved -Warnings $lookupWarning)
}

function Invoke-RestoreFolderAclSet {
    # restore-only folder_acl_set {path, sddl}: put the folder's DACL back.
    param($A)
    $folder = Get-AgentFolder -Path $A['path']
    $security = $folder.GetAccessControl([System.Security.AccessControl.AccessControlSections]::Access)
    $changed = ($security.GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access) -ne $A['sddl'])
    if ($changed -and -not $script:Ctx.Check) {
        $security.SetSecurityDescriptorSddlForm($A['sddl'], [System.Security.AccessControl.AccessControlSections]::Access)
        $folder.SetAccessControl($security)
    }
    return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{}) -After ([ordered]@{}))
}

function Invoke-RestoreFile {
    # restore-only file_restore {path, absent?}: the backup item's bytes back in place (or the file removed).
    param($A)
    $path = [string]$A['path']
    if ([bool](Get-AgentArg $A 'absent' $false)) {
        $changed = [System.IO.File]::Exists($path)
        if ($changed -and -not $script:Ctx.Check) { [System.IO.File]::Delete($path) }
        return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{}) -After ([ordered]@{}))
    }
    $data = [System.IO.File]::ReadAllBytes($script:Ctx.ItemFile)
    $changed = $true
    if ([System.IO.File]::Exists($path)) {
        $current = [System.IO.File]::ReadAllBytes($path)
        $changed = ([System.Convert]::ToBase64String($current) -cne [System.Convert]::ToBase64String($data))
    }
    if ($changed -and -not $script:Ctx.Check) { [System.IO.File]::WriteAllBytes($path, $data) }
    return (New-AgentEnsureResult -Changed $changed -Before ([ordered]@{}) -After ([ordered]@{}))
}
