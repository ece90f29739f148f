# JSON writer for the response. Not ConvertTo-Json: Windows PowerShell 5.1's
# ConvertTo-Json cuts at depth 2 by default, writes dates as \/Date(..)\/, enums as
# numbers and unwraps one-element arrays. This writer is explicit about each:
#   dates    -> ISO-8601 UTC strings (yyyy-MM-ddTHH:mm:ssZ)
#   enums    -> their names (.ToString())
#   lists    -> JSON arrays, also with zero or one element
#   byte[]   -> base64 strings
#   strings  -> every character outside printable ASCII escaped as \uXXXX, because
#               WinRM shells default to codepage 437 (the output stays ASCII-safe)
# Depth is bounded (default 20) so that a cycle cannot hang the agent.

$script:JsonEscaper = [System.Text.RegularExpressions.MatchEvaluator] {
    param($Match)
    $code = [int][char]$Match.Value
    switch ($code) {
        34 { return '\"' }
        92 { return '\\' }
        8 { return '\b' }
        9 { return '\t' }
        10 { return '\n' }
        12 { return '\f' }
        13 { return '\r' }
        default { return ('\u{0:x4}' -f $code) }
    }
}
$script:JsonEscapeRegex = New-Object System.Text.RegularExpressions.Regex ('["\\\x00-\x1f\x7f-\uffff]')

function Format-AgentTime {
    # ISO-8601 UTC with seconds precision, as the lab's store.iso writes it.
    param($When)
    if ($null -eq $When) { return $null }
    if ($When -is [System.DateTimeOffset]) { $When = $When.UtcDateTime }
    $utc = ([datetime]$When).ToUniversalTime()
    return $utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", $script:Invariant)
}

function ConvertTo-AgentJsonString {
    # A JSON string literal, ASCII only.
    param([string]$Text)
    return '"' + $script:JsonEscapeRegex.Replace($Text, $script:JsonEscaper) + '"'
}

function Write-AgentJsonValue {
    param(
        [System.Text.StringBuilder]$Builder,
        $Value,
        [int]$Depth
    )
    if ($null -eq $Value -or $Value -is [System.DBNull]) {
        [void]$Builder.Append('null')
        return
    }
    if ($Depth -lt 0) {
        throw (New-AgentError -Code 'internal' -Text 'response nests deeper than the JSON writer allows')
    }
    if ($Value -is [string] -or $Value -is [char]) {
        [void]$Builder.Append((ConvertTo-AgentJsonString -Text ([string]$Value)))
        return
    }
    if ($Value -is [bool]) {
        if ($Value) { [void]$Builder.Append('true') } else { [void]$Builder.Append('false') }
        return
    }
    if ($Value -is [datetime] -or $Value -is [System.DateTimeOffset]) {
        [void]$Builder.Append((ConvertTo-AgentJsonString -Text (Format-AgentTime -When $Value)))
        return
    }
    if ($Value -is [System.Enum]) {
        [void]$Builder.Append((ConvertTo-AgentJsonString -Text $Value.ToString()))
        return
    }
    if ($Value -is [byte] -or $Value -is [sbyte] -or $Value -is [int16] -or $Value -is [uint16] -or
        $Value -is [int32] -or $Value -is [uint32] -or $Value -is [int64] -or $Value -is [uint64] -or
        $Value -is [decimal] -or $Value -is [bigint]) {
        [void]$Builder.Append($Value.ToString($script:Invariant))
        return
    }
    if ($Value -is [double] -or $Value -is [single]) {
        if ([double]::IsNaN($Value) -or [double]::IsInfinity($Value)) {
            [void]$Builder.Append('null')
        } else {
            [void]$Builder.Append(([double]$Value).ToString('R', $script:Invariant))
        }
        return
    }
    if ($Value -is [byte[]]) {
        [void]$Builder.Append((ConvertTo-AgentJsonString -Text ([System.Convert]::ToBase64String($Value))))
        return
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $keys = @($Value.Keys)
        if ($Value -is [hashtable]) {
            # a plain hashtable has no order: sort its keys so that the output is stable
            $keys = @($keys | Sort-Object -Property @{ Expression = { [string]$_ } })
        }
        [void]$Builder.Append('{')
        $first = $true
        foreach ($key in $keys) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            [void]$Builder.Append((ConvertTo-AgentJsonString -Text ([string]$key)))
            [void]$Builder.Append(':')
            Write-AgentJsonValue -Builder $Builder -Value $Value[$key] -Depth ($Depth - 1)
        }
        [void]$Builder.Append('}')
        return
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        [void]$Builder.Append('[')
        $first = $true
        foreach ($item in $Value) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            Write-AgentJsonValue -Builder $Builder -Value $item -Depth ($Depth - 1)
        }
        [void]$Builder.Append(']')
        return
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        [void]$Builder.Append('{')
        $first = $true
        foreach ($property in $Value.PSObject.Properties) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            [void]$Builder.Append((ConvertTo-AgentJsonString -Text $property.Name))
            [void]$Builder.Append(':')
            Write-AgentJsonValue -Builder $Builder -Value $property.Value -Depth ($Depth - 1)
        }
        [void]$Builder.Append('}')
        return
    }
    if ($Value -is [System.Security.Principal.SecurityIdentifier]) {
        [void]$Builder.Append((ConvertTo-AgentJsonString -Text $Value.Value))
        return
    }
    # Guid, Version, Uri, TimeSpan and anything else: its invariant text form
    [void]$Builder.Append((ConvertTo-AgentJsonString -Text ([string]$Value)))
}

function ConvertTo-AgentJson {
    # One compact JSON document, ASCII only.
    param(
        $InputObject,
        [int]$Depth = 20
    )
    $builder = New-Object System.Text.StringBuilder
    Write-AgentJsonValue -Builder $builder -Value $InputObject -Depth $Depth
    return $builder.ToString()
}
