# The request: parse (ConvertFrom-Json, then plain hashtables and arrays), check
# the envelope (an ensure's if_changed names earlier ensures), check each op's args
# against the dispatch table (90_dispatch.ps1, a copy of contract.KINDS that
# tests/unit/windows compares with contract.py), and
# resolve the placeholders of contract.PLACEHOLDER_ARGS (the read placeholders, and
# @result:<op id>.<field>[|lower] for ensures: a field of an earlier op's result).

function ConvertTo-AgentData {
    # PSCustomObject -> ordered hashtable, arrays -> object[] (kept as arrays), scalars as they are.
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $out = [ordered]@{}
        foreach ($property in $Value.PSObject.Properties) {
            $out[$property.Name] = ConvertTo-AgentData -Value $property.Value
        }
        return $out
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $out = [ordered]@{}
        foreach ($key in @($Value.Keys)) { $out[[string]$key] = ConvertTo-AgentData -Value $Value[$key] }
        return $out
    }
    if ($Value -is [System.Collections.IList] -and -not ($Value -is [string])) {
        $items = New-Object System.Collections.Generic.List[object]
        foreach ($item in $Value) { $items.Add((ConvertTo-AgentData -Value $item)) }
        return , $items.ToArray()
    }
    return $Value
}

function Read-AgentJson {
    # Parse JSON text into hashtables / arrays.
    param([string]$Text)
    $parsed = ConvertFrom-Json -InputObject $Text
    return , (ConvertTo-AgentData -Value $parsed)
}

function Get-AgentArg {
    # args[name], or Default when absent or null.
    param(
        [System.Collections.IDictionary]$OpArgs,
        [string]$Name,
        $Default = $null
    )
    if ($null -ne $OpArgs -and $OpArgs.Contains($Name) -and $null -ne $OpArgs[$Name]) {
        return , $OpArgs[$Name]
    }
    return , $Default
}

function Test-AgentInteger {
    param($Value)
    return ($Value -is [int32] -or $Value -is [int64] -or $Value -is [int16] -or $Value -is [byte] -or
            $Value -is [uint32] -or $Value -is [uint16] -or $Value -is [uint64] -or $Value -is [sbyte] -or
            ($Value -is [decimal] -and [decimal]::Truncate($Value) -eq $Value))
}

function Test-AgentList {
    param($Value)
    return ($null -ne $Value -and $Value -is [System.Collections.IList] -and -not ($Value -is [string]) -and
            -not ($Value -is [System.Collections.IDictionary]))
}

function Test-AgentType {
    # Does Value fit a contract type spec (str, int, bool, dict, list, any, list[x], enum:a|b)?
    param($Value, [string]$Spec)
    if ($Spec -eq 'any') { return $true }
    if ($Spec.StartsWith('enum:')) {
        return ($Value -is [string] -and ($Spec.Substring(5).Split('|') -ccontains $Value))
    }
    if ($Spec.StartsWith('list[') -and $Spec.EndsWith(']')) {
        if (-not (Test-AgentList -Value $Value)) { return $false }
        $inner = $Spec.Substring(5, $Spec.Length - 6)
        foreach ($item in $Value) {
            if (-not (Test-AgentType -Value $item -Spec $inner)) { return $false }
        }
        return $true
    }
    switch ($Spec) {
        'str' { return ($Value -is [string]) }
        'int' { return (Test-AgentInteger -Value $Value) }
        'bool' { return ($Value -is [bool]) }
        'dict' { return ($Value -is [System.Collections.IDictionary]) }
        'list' { return (Test-AgentList -Value $Value) }
    }
    throw (New-AgentError -Code 'internal' -Text ('unknown type spec {0} in the dispatch table' -f $Spec))
}

function ConvertFrom-AgentSpec {
    # 'path=str; names=list[str]?' -> ordered {path: 'str', names: 'list[str]?'}
    param([string]$Text)
    $spec = [ordered]@{}
    foreach ($part in $Text.Split(';')) {
        $part = $part.Trim()
        if ($part.Length -eq 0) { continue }
        $pair = $part.Split(@('='), 2, [System.StringSplitOptions]::None)
        $spec[$pair[0].Trim()] = $pair[1].Trim()
    }
    return $spec
}

function Test-AgentFields {
    # Throw invalid_request naming Where.field when Object does not fit Spec (unknown fields refused).
    param($Object, [System.Collections.IDictionary]$Spec, [string]$Where)
    if (-not ($Object -is [System.Collections.IDictionary])) {
        throw (New-AgentError -Code 'invalid_request' -Text ('{0}: expected an object' -f $Where))
    }
    foreach ($name in $Spec.Keys) {
        $type = [string]$Spec[$name]
        $optional = $type.EndsWith('?')
        $type = $type.TrimEnd('?')
        if (-not $Object.Contains($name) -or $null -eq $Object[$name]) {
            if ($optional) { continue }
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.{1}: required field is missing' -f $Where, $name))
        }
        if (-not (Test-AgentType -Value $Object[$name] -Spec $type)) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.{1}: expected {2}' -f $Where, $name, $type))
        }
    }
    foreach ($name in @($Object.Keys)) {
        if (-not $Spec.Contains([string]$name)) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.{1}: unknown field' -f $Where, $name))
        }
    }
}

function Read-AgentRequest {
    # The parsed, envelope-checked request; throws (the whole call fails) when the envelope is wrong.
    param([string]$Json)
    try {
        $request = Read-AgentJson -Text $Json
    } catch {
        throw (New-AgentError -Code 'invalid_request' -Text 'request: not a JSON document')
    }
    $envelope = ConvertFrom-AgentSpec -Text 'version=int; check_mode=bool; run_id=str?; lock=bool?; ops=list[dict]'
    Test-AgentFields -Object $request -Spec $envelope -Where 'request'
    if ([int64]$request['version'] -ne $script:ContractVersion) {
        throw (New-AgentError -Code 'invalid_request' -Text ('request.version: agent speaks version {0}, got {1}' -f
                $script:ContractVersion, $request['version']))
    }
    $opSpec = ConvertFrom-AgentSpec -Text 'id=str; kind=str; args=dict?; if_changed=list[str]?'
    $seen = New-Object 'System.Collections.Generic.HashSet[string]' ([System.StringComparer]::Ordinal)
    $ensures = New-Object 'System.Collections.Generic.HashSet[string]' ([System.StringComparer]::Ordinal)
    $index = 0
    foreach ($op in $request['ops']) {
        $where = 'request.ops[{0}]' -f $index
        Test-AgentFields -Object $op -Spec $opSpec -Where $where
        if (-not $script:AgentKinds.Contains([string]$op['kind'])) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.kind: unknown kind {1}' -f $where, $op['kind']))
        }
        $key = [string]$op['id']
        if (-not $seen.Add($key)) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.id: duplicate id {1}' -f $where, $key))
        }
        $isRead = $script:AgentKinds[[string]$op['kind']][0] -eq 'read'
        Test-AgentIfChangedNames -Names $op['if_changed'] -IsRead $isRead -Ensures $ensures -Where $where
        if (-not $isRead) { [void]$ensures.Add($key) }
        if ($null -eq $op['args']) { $op['args'] = [ordered]@{} }
        $index++
    }
    return $request
}

function Test-AgentIfChangedNames {
    # if_changed (ensures only): at least one id, each an EARLIER ensure of the same request.
    param($Names, [bool]$IsRead, $Ensures, [string]$Where)
    if ($null -eq $Names) { return }
    if ($IsRead) {
        throw (New-AgentError -Code 'invalid_request' -Text ('{0}.if_changed: only an ensure can be conditional (reads always run)' -f $Where))
    }
    if (@($Names).Count -eq 0) {
        throw (New-AgentError -Code 'invalid_request' -Text ('{0}.if_changed: name at least one earlier ensure' -f $Where))
    }
    foreach ($name in $Names) {
        if (-not $Ensures.Contains([string]$name)) {
            throw (New-AgentError -Code 'invalid_request' -Text ('{0}.if_changed: {1} is not an earlier ensure of this request' -f $Where, $name))
        }
    }
}

# ------------------------------------------------------------------ placeholders
# @registry: @pool_user: @site_log_folder: (reads; the data then carries resolved) and
# @result:<op id>.<field>[|lower] (ensures): a field of an EARLIER op of this request,
# an ensure's after.<field> or a read's data.<field>. In check mode a reference that has
# no value yet (cert_enroll predicts thumbprint null) defers the op: it is not_run.
$script:PlaceholderArgs = [ordered]@{
    'cert_chain.thumbprint' = @('registry')
    'ad_account.account' = @('pool_user')
    'resolve_principal.names' = @('pool_user')
    'file_tail.directory' = @('site_log_folder')
    'key_acl_grant.thumbprint' = @('result')
    'registry_value.value' = @('result')
}
# Results of the ops run so far, by id (for @result:); 99_main.ps1 fills it.
$script:ResultsById = New-Object 'System.Collections.Generic.Dictionary[string,object]' ([System.StringComparer]::Ordinal)

function Split-AgentPlaceholder {
    # @{name; parameter} when Value is a placeholder this kind/arg accepts, else $null.
    param([string]$Kind, [string]$Arg, $Value)
    if (-not ($Value -is [string]) -or -not $Value.StartsWith('@')) { return $null }
    $body = $Value.Substring(1)
    $colon = $body.IndexOf(':')
    if ($colon -lt 0) { return $null }
    $name = $body.Substring(0, $colon)
    $accepted = $script:PlaceholderArgs[$Kind + '.' + $Arg]
    if ($null -eq $accepted -or -not ($accepted -ccontains $name)) { return $null }
    return @{ name = $name; parameter = $body.Substring($colon + 1) }
}

function Stop-AgentPlaceholder {
    param([string]$Name, [string]$Parameter, [string]$Why)
    throw (New-AgentError -Code 'not_found' -Text ('placeholder @{0}:{1}: {2}' -f $Name, $Parameter, $Why))
}

function Resolve-AgentPlaceholderValue {
    param([string]$Arg, [hashtable]$Found)
    $name = $Found['name']
    $parameter = $Found['parameter']
    switch ($name) {
        'registry' {
            $cut = $parameter.LastIndexOf('\')
            $value = $null
            if ($cut -gt 0) {
                try {
                    $value = Get-AgentRegistryData -Path $parameter.Substring(0, $cut) -Name $parameter.Substring($cut + 1)
                } catch {
                    $value = $null
                }
            }
            if (-not ($value -is [string])) {
                Stop-AgentPlaceholder -Name $name -Parameter $parameter -Why 'the registry value is absent or not a string'
            }
            if ($Arg -eq 'thumbprint') { return (ConvertTo-AgentThumbprint -Text $value) }
            return $value
        }
        'pool_user' { return (Get-AgentPoolUser -Name $parameter) }
        'site_log_folder' { return (Get-AgentSiteLogFolder -Name $parameter) }
        'result' { return (Resolve-AgentResultRef -Parameter $parameter) }
    }
    throw (New-AgentError -Code 'internal' -Text ('placeholder kind {0} has no resolver' -f $name))
}

function Resolve-AgentPlaceholders {
    # @{args = args with placeholders substituted; resolved = {arg: value} or $null}
    param([string]$Kind, [System.Collections.IDictionary]$OpArgs)
    $out = [ordered]@{}
    foreach ($key in $OpArgs.Keys) { $out[$key] = $OpArgs[$key] }
    $resolved = [ordered]@{}
    foreach ($pair in $script:PlaceholderArgs.Keys) {
        $split = $pair.Split('.')
        if ($split[0] -ne $Kind -or -not $OpArgs.Contains($split[1])) { continue }
        $arg = $split[1]
        $value = $OpArgs[$arg]
        if (Test-AgentList -Value $value) {
            $used = $false
            $values = New-Object System.Collections.Generic.List[object]
            foreach ($item in $value) {
                $found = Split-AgentPlaceholder -Kind $Kind -Arg $arg -Value $item
                if ($null -eq $found) {
                    $values.Add($item)
                } else {
                    $values.Add((Resolve-AgentPlaceholderValue -Arg $arg -Found $found))
                    $used = $true
                }
            }
            if ($used) {
                $out[$arg] = $values.ToArray()
                $resolved[$arg] = $values.ToArray()
            }
        } else {
            $found = Split-AgentPlaceholder -Kind $Kind -Arg $arg -Value $value
            if ($null -ne $found) {
                $new = Resolve-AgentPlaceholderValue -Arg $arg -Found $found
                $out[$arg] = $new
                $resolved[$arg] = $new
            }
        }
    }
    if ($resolved.Count -eq 0) { $resolved = $null }
    return @{ args = $out; resolved = $resolved }
}

function ConvertTo-AgentThumbprint {
    # Keep the hex digits only (drops spaces and the U+200E mark), upper case.
    param([string]$Text)
    if ($null -eq $Text) { return '' }
    return ($Text -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
}

function New-AgentDeferred {
    # The marker that makes an op not_run in check mode (its @result: reference has no value yet).
    param([string]$Text)
    $exception = New-Object System.InvalidOperationException 'ndes.scep agent: deferred'
    $exception.Data['ndes.scep.deferred'] = $Text
    return $exception
}

function Test-AgentDeferred {
    param($Failure)
    foreach ($exception in (Get-AgentExceptionChain -Failure $Failure)) {
        if ($exception.Data.Contains('ndes.scep.deferred')) { return $true }
    }
    return $false
}

function Resolve-AgentResultRef {
    # @result:<op id>.<field>[|lower] -> the value an earlier op of this request produced.
    param([string]$Parameter)
    $ref = $Parameter
    $modifier = $null
    $bar = $Parameter.IndexOf('|')
    if ($bar -ge 0) {
        $ref = $Parameter.Substring(0, $bar)
        $modifier = $Parameter.Substring($bar + 1)
    }
    $dot = $ref.LastIndexOf('.')
    if ($dot -le 0 -or $dot -eq $ref.Length - 1 -or ($null -ne $modifier -and $modifier -cne 'lower')) {
        throw (New-AgentError -Code 'invalid_request' -Text ('placeholder @result:{0}: write @result:<op id>.<field>[|lower]' -f $Parameter))
    }
    $opId = $ref.Substring(0, $dot)
    $field = $ref.Substring($dot + 1)
    if (-not $script:ResultsById.ContainsKey($opId)) {
        Stop-AgentPlaceholder -Name 'result' -Parameter $Parameter -Why ('no earlier op {0} in this request' -f $opId)
    }
    $earlier = $script:ResultsById[$opId]
    if ($earlier['status'] -eq 'not_run' -and $script:Ctx.Check) {
        throw (New-AgentDeferred -Text ('op {0} did not run in check mode' -f $opId))
    }
    if ($earlier['status'] -ne 'ok') {
        Stop-AgentPlaceholder -Name 'result' -Parameter $Parameter -Why ('op {0} is {1}, not ok' -f $opId, $earlier['status'])
    }
    $side = $earlier['after']
    if ($earlier.Contains('data')) { $side = $earlier['data'] }
    if ($null -eq $side -or -not ($side -is [System.Collections.IDictionary]) -or -not $side.Contains($field)) {
        Stop-AgentPlaceholder -Name 'result' -Parameter $Parameter -Why ('op {0} has no field {1}' -f $opId, $field)
    }
    $value = $side[$field]
    if ($null -eq $value) {
        if ($script:Ctx.Check) { throw (New-AgentDeferred -Text ('op {0} predicts no {1} in check mode' -f $opId, $field)) }
        Stop-AgentPlaceholder -Name 'result' -Parameter $Parameter -Why ('op {0} gave no {1}' -f $opId, $field)
    }
    if ($modifier -eq 'lower' -and $value -is [string]) { $value = $value.ToLowerInvariant() }
    return , $value
}
