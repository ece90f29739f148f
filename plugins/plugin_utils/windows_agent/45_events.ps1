# Event logs: Get-WinEvent -FilterHashtable @{LogName; ProviderName; Id; StartTime}
# (no match is the error id NoMatchingEventsFound, matched on FullyQualifiedErrorId,
# never on message text), Properties[].Value for event data, and
# System.Diagnostics.Eventing.Reader.EventLogConfiguration (IsEnabled, IsClassicLog,
# SaveChanges) for the channel state. Read: events. Ensure: event_log_state.

$script:DefaultMaxEvents = 500

function Get-AgentLogConfig {
    # EventLogConfiguration or $null when the log does not exist.
    param([string]$Log)
    try {
        return (New-Object System.Diagnostics.Eventing.Reader.EventLogConfiguration ($Log))
    } catch {
        $walk = $_.Exception
        while ($null -ne $walk) {
            if ($walk -is [System.Diagnostics.Eventing.Reader.EventLogNotFoundException]) { return $null }
            $walk = $walk.InnerException
        }
        throw
    }
}

function ConvertTo-AgentEventValue {
    # An event property value in JSON form (SIDs as strings, byte arrays as base64, the rest as is).
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Security.Principal.SecurityIdentifier]) { return $Value.Value }
    if ($Value -is [guid]) { return $Value.ToString() }
    return , $Value
}

function Read-AgentEvents {
    # read events: events [event] newest first, log_exists, log_enabled
    param($A)
    $log = [string]$A['log']
    $config = Get-AgentLogConfig -Log $log
    $out = [ordered]@{ events = [object[]]@(); log_exists = ($null -ne $config); log_enabled = $null }
    if ($null -eq $config) { return $out }
    try {
        $out['log_enabled'] = [bool]$config.IsEnabled
    } finally {
        $config.Dispose()
    }
    $filter = @{ LogName = $log }
    $provider = Get-AgentArg $A 'provider'
    if ($null -ne $provider) { $filter['ProviderName'] = [string]$provider }
    $ids = Get-AgentArg $A 'ids'
    if ($null -ne $ids -and @($ids).Count -gt 0) { $filter['Id'] = [int[]]@($ids) }
    $hours = Get-AgentArg $A 'since_hours'
    if ($null -ne $hours) { $filter['StartTime'] = [datetime]::Now.AddHours(-1 * [double]$hours) }
    $max = [int64](Get-AgentArg $A 'max' $script:DefaultMaxEvents)
    $records = @()
    if ($max -gt 0) {
        try {
            $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $max -ErrorAction Stop)
        } catch {
            if ([string]$_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*') {
                $records = @()
            } else {
                throw
            }
        }
    }
    $events = New-Object System.Collections.Generic.List[object]
    foreach ($record in $records) {
        $properties = New-Object System.Collections.Generic.List[object]
        foreach ($property in $record.Properties) { $properties.Add((ConvertTo-AgentEventValue -Value $property.Value)) }
        $level = 0
        if ($null -ne $record.Level) { $level = [int]$record.Level }
        $events.Add([ordered]@{
            id = [int]$record.Id; provider = [string]$record.ProviderName; log = [string]$record.LogName
            time = (Format-AgentTime -When $record.TimeCreated); record_id = [int64]$record.RecordId
            level = $level; properties = $properties
        })
    }
    $out['events'] = $events
    return $out
}

function Invoke-EnsureEventLogState {
    # ensure event_log_state: before/after {enabled}; classic logs cannot be disabled.
    param($A)
    $log = [string]$A['log']
    $want = [bool]$A['enabled']
    $config = Get-AgentLogConfig -Log $log
    if ($null -eq $config) { throw (New-AgentError -Code 'not_found' -Text ('event log {0} does not exist' -f $log)) }
    try {
        if ($config.IsClassicLog) {
            if (-not $want) { throw (New-AgentError -Code 'unsupported' -Text ('classic log {0} cannot be disabled' -f $log)) }
            $same = [ordered]@{ enabled = $true }
            return (New-AgentEnsureResult -Changed $false -Before $same -After $same)
        }
        $before = [ordered]@{ enabled = [bool]$config.IsEnabled }
        $after = [ordered]@{ enabled = $want }
        $changed = ($before['enabled'] -ne $want)
        if (-not $changed -or $script:Ctx.Check) { return (New-AgentEnsureResult -Changed $changed -Before $before -After $after) }
        $saved = Save-AgentBackupJson -Kind 'event_log' -Source $log -Data ([ordered]@{ log = $log; enabled = $before['enabled'] }) -Restore ([ordered]@{ kind = 'event_log_state'; args = [ordered]@{ log = $log; enabled = $before['enabled'] } })
        $config.IsEnabled = $want
        $config.SaveChanges()
    } finally {
        $config.Dispose()
    }
    $check = Get-AgentLogConfig -Log $log
    try { $after = [ordered]@{ enabled = [bool]$check.IsEnabled } } finally { $check.Dispose() }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
}
