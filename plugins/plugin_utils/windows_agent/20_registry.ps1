# Registry: Microsoft.Win32.RegistryKey on the 64-bit view (OpenBaseKey with
# RegistryView.Registry64), value kinds as REG_* names, last-write time through
# RegQueryInfoKeyW (05_native.ps1). Read: registry_key. Ensure: registry_value.
# Restore-only: none (registry_value replays itself).

$script:RegTypeNames = @{
    'String' = 'REG_SZ'; 'ExpandString' = 'REG_EXPAND_SZ'; 'Binary' = 'REG_BINARY'; 'DWord' = 'REG_DWORD'
    'MultiString' = 'REG_MULTI_SZ'; 'QWord' = 'REG_QWORD'; 'None' = 'REG_NONE'; 'Unknown' = 'REG_UNKNOWN'
}
$script:RegKinds = @{
    'REG_SZ' = [Microsoft.Win32.RegistryValueKind]::String
    'REG_EXPAND_SZ' = [Microsoft.Win32.RegistryValueKind]::ExpandString
    'REG_BINARY' = [Microsoft.Win32.RegistryValueKind]::Binary
    'REG_DWORD' = [Microsoft.Win32.RegistryValueKind]::DWord
    'REG_MULTI_SZ' = [Microsoft.Win32.RegistryValueKind]::MultiString
    'REG_QWORD' = [Microsoft.Win32.RegistryValueKind]::QWord
}
$script:RegMaxDepth = 8

function Split-AgentRegistryPath {
    # 'HKLM\SOFTWARE\X' / 'HKEY_LOCAL_MACHINE\...' / 'HKLM:\...' -> @{hive; subkey; name = 'HKLM\SOFTWARE\X'}
    param([string]$Path)
    $parts = @($Path.Trim() -split '[\\/]+' | Where-Object { $_.Length -gt 0 })
    if ($parts.Count -eq 0) {
        throw (New-AgentError -Code 'invalid_request' -Text ('registry path must start with HKLM\: {0}' -f $Path))
    }
    $root = $parts[0].TrimEnd(':').ToUpperInvariant()
    if ($root -eq 'HKLM' -or $root -eq 'HKEY_LOCAL_MACHINE') {
        $hive = [Microsoft.Win32.RegistryHive]::LocalMachine
        $short = 'HKLM'
    } elseif ($root -eq 'HKCU' -or $root -eq 'HKEY_CURRENT_USER') {
        $hive = [Microsoft.Win32.RegistryHive]::CurrentUser
        $short = 'HKCU'
    } else {
        throw (New-AgentError -Code 'invalid_request' -Text ('registry path must start with HKLM\: {0}' -f $Path))
    }
    $rest = @()
    if ($parts.Count -gt 1) { $rest = $parts[1..($parts.Count - 1)] }
    return @{ hive = $hive; subkey = ($rest -join '\'); name = ((@($short) + $rest) -join '\') }
}

function Open-AgentRegistryKey {
    # The RegistryKey (64-bit view) or $null when it does not exist. Caller disposes it.
    param([string]$Path, [switch]$Writable, [switch]$Create)
    $split = Split-AgentRegistryPath -Path $Path
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($split['hive'], [Microsoft.Win32.RegistryView]::Registry64)
    if ($split['subkey'].Length -eq 0) { return $base }
    try {
        if ($Create) { return $base.CreateSubKey($split['subkey']) }
        return $base.OpenSubKey($split['subkey'], [bool]$Writable)
    } finally {
        $base.Dispose()
    }
}

function ConvertFrom-AgentRegistryValue {
    # {type, value} of one value: REG_DWORD / REG_QWORD as unsigned integers, REG_MULTI_SZ as a list,
    # REG_BINARY as base64, REG_EXPAND_SZ unexpanded.
    param([Microsoft.Win32.RegistryKey]$Key, [string]$Name)
    $kind = $Key.GetValueKind($Name)
    $raw = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $type = $script:RegTypeNames[$kind.ToString()]
    if ($null -eq $type) { $type = 'REG_UNKNOWN' }
    $value = $raw
    if ($kind -eq [Microsoft.Win32.RegistryValueKind]::DWord) {
        $value = [System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int32]$raw), 0)
    } elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::QWord) {
        $value = [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([int64]$raw), 0)
    } elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::MultiString) {
        $value = [object[]]@($raw)
    } elseif ($raw -is [byte[]]) {
        $value = [System.Convert]::ToBase64String($raw)
    }
    return [ordered]@{ type = $type; value = $value }
}

function Get-AgentRegistryKeyLastWrite {
    param([Microsoft.Win32.RegistryKey]$Key)
    Initialize-AgentNative
    return (Format-AgentTime -When ([NdesScep.RegInfo]::LastWriteTimeUtc($Key.Handle)))
}

function Get-AgentRegistryValues {
    param([Microsoft.Win32.RegistryKey]$Key, $Names)
    $values = [ordered]@{}
    $wanted = $null
    if ($null -ne $Names) {
        $wanted = @{}
        foreach ($n in $Names) { $wanted[[string]$n] = $true }   # case-insensitive, as registry names are
    }
    foreach ($name in ($Key.GetValueNames() | Sort-Object)) {
        if ($null -ne $wanted -and -not $wanted.ContainsKey($name)) { continue }
        $values[$name] = ConvertFrom-AgentRegistryValue -Key $Key -Name $name
    }
    return $values
}

function Get-AgentRegistryTree {
    param([Microsoft.Win32.RegistryKey]$Key, [int]$Depth)
    $subkeys = [ordered]@{}
    if ($Depth -lt $script:RegMaxDepth) {
        foreach ($sub in ($Key.GetSubKeyNames() | Sort-Object)) {
            $child = $Key.OpenSubKey($sub, $false)
            if ($null -eq $child) { continue }
            try {
                $subkeys[$sub] = Get-AgentRegistryTree -Key $child -Depth ($Depth + 1)
            } finally {
                $child.Dispose()
            }
        }
    }
    return [ordered]@{
        values = (Get-AgentRegistryValues -Key $Key -Names $null)
        last_write = (Get-AgentRegistryKeyLastWrite -Key $Key)
        subkeys = $subkeys
    }
}

function Read-AgentRegistryKey {
    # read registry_key: exists, last_write, values {name: {type, value}}, subkeys [names], tree (recurse)
    param($A)
    $key = Open-AgentRegistryKey -Path $A['path']
    if ($null -eq $key) {
        return [ordered]@{ exists = $false; last_write = $null; values = [ordered]@{}; subkeys = [object[]]@() }
    }
    try {
        $out = [ordered]@{
            exists = $true
            last_write = (Get-AgentRegistryKeyLastWrite -Key $key)
            values = (Get-AgentRegistryValues -Key $key -Names (Get-AgentArg $A 'names'))
            subkeys = [object[]]@($key.GetSubKeyNames() | Sort-Object)
        }
        if ([bool](Get-AgentArg $A 'recurse' $false)) {
            $tree = [ordered]@{}
            foreach ($sub in $out['subkeys']) {
                $child = $key.OpenSubKey($sub, $false)
                if ($null -eq $child) { continue }
                try { $tree[$sub] = Get-AgentRegistryTree -Key $child -Depth 1 } finally { $child.Dispose() }
            }
            $out['tree'] = $tree
        }
        return $out
    } finally {
        $key.Dispose()
    }
}

function Get-AgentRegistryData {
    # The data of one value (as ConvertFrom-AgentRegistryValue gives it), or $null when absent.
    param([string]$Path, [string]$Name)
    $key = Open-AgentRegistryKey -Path $Path
    if ($null -eq $key) { return $null }
    try {
        if (-not ($key.GetValueNames() -contains $Name)) { return $null }
        return , (ConvertFrom-AgentRegistryValue -Key $key -Name $Name)['value']
    } finally {
        $key.Dispose()
    }
}

function ConvertTo-AgentRegistryWant {
    # Check a requested value against its type (as the lab's registry.coerce does); the JSON form.
    param([string]$Type, $Value)
    if ($Type -eq 'REG_DWORD' -or $Type -eq 'REG_QWORD') {
        if ($Value -is [string] -and $Value.Trim() -match '^(0x[0-9a-fA-F]+|\d+)$') {
            $text = $Value.Trim()
            if ($text.StartsWith('0x')) {
                $Value = [uint64]::Parse($text.Substring(2), [System.Globalization.NumberStyles]::HexNumber, $script:Invariant)
            } else {
                $Value = [uint64]::Parse($text, $script:Invariant)
            }
        }
        if (-not (Test-AgentInteger -Value $Value) -or $Value -lt 0) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0} needs a non-negative integer' -f $Type))
        }
        if ($Type -eq 'REG_DWORD' -and $Value -gt [uint32]::MaxValue) {
            throw (New-AgentError -Code 'invalid_request' -Text 'REG_DWORD value exceeds 0xFFFFFFFF')
        }
        if ($Type -eq 'REG_DWORD') { return [uint32]$Value }
        return [uint64]$Value
    }
    if ($Type -eq 'REG_MULTI_SZ') {
        if ($Value -is [string]) { $Value = @($Value) }
        if (-not (Test-AgentType -Value $Value -Spec 'list[str]')) {
            throw (New-AgentError -Code 'invalid_request' -Text 'REG_MULTI_SZ needs a list of strings')
        }
        return , [object[]]@($Value)
    }
    if ($Type -eq 'REG_SZ' -or $Type -eq 'REG_EXPAND_SZ' -or $Type -eq 'REG_BINARY') {
        if (-not ($Value -is [string])) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0} needs a string' -f $Type))
        }
        return $Value
    }
    throw (New-AgentError -Code 'invalid_request' -Text ('unknown registry type {0}' -f $Type))
}

function Test-AgentSameValue {
    # Equal JSON forms (lists element by element, strings case-sensitive).
    param($Left, $Right)
    if ($null -eq $Left -or $null -eq $Right) { return ($null -eq $Left -and $null -eq $Right) }
    if ((Test-AgentList -Value $Left) -or (Test-AgentList -Value $Right)) {
        if (-not ((Test-AgentList -Value $Left) -and (Test-AgentList -Value $Right))) { return $false }
        if ($Left.Count -ne $Right.Count) { return $false }
        for ($i = 0; $i -lt $Left.Count; $i++) {
            if (-not (Test-AgentSameValue -Left $Left[$i] -Right $Right[$i])) { return $false }
        }
        return $true
    }
    if ((Test-AgentInteger -Value $Left) -and (Test-AgentInteger -Value $Right)) {
        return ([decimal]$Left -eq [decimal]$Right)
    }
    return ([string]$Left -ceq [string]$Right)
}

function Export-AgentRegistryKey {
    # A .reg-equivalent JSON export of one key: {path, exists, last_write, values}.
    param([string]$Path)
    $read = Read-AgentRegistryKey -A @{ path = $Path }
    return [ordered]@{ path = (Split-AgentRegistryPath -Path $Path)['name']; exists = $read['exists']
        last_write = $read['last_write']; values = $read['values'] }
}

function Invoke-EnsureRegistryValue {
    # ensure registry_value: before/after {value, type}; backup: JSON export of the key.
    param($A)
    $path = (Split-AgentRegistryPath -Path $A['path'])['name']
    $name = [string]$A['name']
    $type = [string]$A['type']
    $absent = ((Get-AgentArg $A 'state' 'present') -eq 'absent')
    $want = $null
    if (-not $absent) { $want = ConvertTo-AgentRegistryWant -Type $type -Value (Get-AgentArg $A 'value') }
    $current = $null
    $key = Open-AgentRegistryKey -Path $path
    if ($null -ne $key) {
        try {
            if ($key.GetValueNames() -contains $name) { $current = ConvertFrom-AgentRegistryValue -Key $key -Name $name }
        } finally {
            $key.Dispose()
        }
    }
    $before = [ordered]@{ value = $null; type = $null }
    if ($null -ne $current) { $before = [ordered]@{ value = $current['value']; type = $current['type'] } }
    $after = [ordered]@{ value = $want; type = $(if ($absent) { $null } else { $type }) }
    if ($absent) {
        $changed = ($null -ne $current)
    } else {
        $changed = ($null -eq $current -or $current['type'] -ne $type -or -not (Test-AgentSameValue -Left $current['value'] -Right $want))
    }
    if (-not $changed) { return (New-AgentEnsureResult -Changed $false -Before $before -After $before) }
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After $after) }
    if ($null -eq $current) {
        $restore = [ordered]@{ kind = 'registry_value'; args = [ordered]@{ path = $path; name = $name; type = $type; value = ''; state = 'absent' } }
    } else {
        $restore = [ordered]@{ kind = 'registry_value'; args = [ordered]@{ path = $path; name = $name; type = $current['type']; value = $current['value'] } }
    }
    $saved = Save-AgentBackupJson -Kind 'registry_key' -Source $path -Data (Export-AgentRegistryKey -Path $path) -Restore $restore -Suffix '.reg.json'
    if ($absent) {
        $key = Open-AgentRegistryKey -Path $path -Writable
        if ($null -ne $key) {
            try { $key.DeleteValue($name, $false) } finally { $key.Dispose() }
        }
    } else {
        $key = Open-AgentRegistryKey -Path $path -Create
        try {
            $kind = $script:RegKinds[$type]
            if ($type -eq 'REG_DWORD') {
                $data = [System.BitConverter]::ToInt32([System.BitConverter]::GetBytes([uint32]$want), 0)
            } elseif ($type -eq 'REG_QWORD') {
                $data = [System.BitConverter]::ToInt64([System.BitConverter]::GetBytes([uint64]$want), 0)
            } elseif ($type -eq 'REG_MULTI_SZ') {
                $data = [string[]]@($want)
            } elseif ($type -eq 'REG_BINARY') {
                $data = [System.Convert]::FromBase64String($want)
            } else {
                $data = [string]$want
            }
            $key.SetValue($name, $data, $kind)
        } finally {
            $key.Dispose()
        }
    }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
}
