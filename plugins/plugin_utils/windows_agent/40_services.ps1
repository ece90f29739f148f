# Services by service NAME (never the localized display name): CIM Win32_Service
# (Name, State, StartMode, PathName, StartName; filtered on the agent, so no
# request data goes into a WQL string), Win32_Service.ChangeStartMode (return
# codes), System.ServiceProcess.ServiceController for start / stop.
# Read: services. Ensure: service_state.

$script:StartModeNames = @{ auto = 'Automatic'; manual = 'Manual'; disabled = 'Disabled' }   # ChangeStartMode argument
$script:StartModeRecord = @{ auto = 'Auto'; manual = 'Manual'; disabled = 'Disabled' }        # Win32_Service.StartMode
$script:ServiceTimeout = [System.TimeSpan]::FromSeconds(90)

function Get-AgentServiceTable {
    # {lower-case name: Win32_Service instance}
    $table = @{}
    foreach ($service in @(Get-CimInstance -ClassName 'Win32_Service' -Property 'Name', 'State', 'StartMode', 'PathName', 'StartName' -ErrorAction Stop)) {
        $table[([string]$service.Name).ToLowerInvariant()] = $service
    }
    return $table
}

function ConvertTo-AgentServiceRecord {
    param($Service)
    if ($null -eq $Service) {
        return [ordered]@{ exists = $false; status = $null; start_mode = $null; image_path = $null; account = $null }
    }
    return [ordered]@{
        exists = $true
        status = ([string]$Service.State).Replace(' ', '')     # 'Start Pending' -> StartPending
        start_mode = [string]$Service.StartMode                  # Auto|Manual|Disabled|Boot|System
        image_path = [string]$Service.PathName
        account = [string]$Service.StartName
    }
}

function Read-AgentServices {
    # read services: {name: service record}; a missing service has exists false
    param($A)
    $table = Get-AgentServiceTable
    $out = [ordered]@{}
    foreach ($name in $A['names']) { $out[[string]$name] = ConvertTo-AgentServiceRecord -Service $table[([string]$name).ToLowerInvariant()] }
    return [ordered]@{ services = $out }
}

function Wait-AgentServiceStatus {
    param($Controller, [string]$Want)
    try {
        $Controller.WaitForStatus([System.ServiceProcess.ServiceControllerStatus]$Want, $script:ServiceTimeout)
    } catch [System.ServiceProcess.TimeoutException] {
        throw (New-AgentError -Code 'io_error' -Text ('service {0} did not reach {1} within {2} s' -f $Controller.ServiceName, $Want, $script:ServiceTimeout.TotalSeconds))
    }
}

function Invoke-EnsureServiceState {
    # ensure service_state: before/after {status, start_mode}; running|stopped|restarted, auto|manual|disabled.
    param($A)
    Add-Type -AssemblyName System.ServiceProcess
    $table = Get-AgentServiceTable
    $service = $table[([string]$A['name']).ToLowerInvariant()]
    if ($null -eq $service) { throw (New-AgentError -Code 'not_found' -Text ('service {0} is not installed on this host' -f $A['name'])) }
    $name = [string]$service.Name
    $record = ConvertTo-AgentServiceRecord -Service $service
    $before = [ordered]@{ status = $record['status']; start_mode = $record['start_mode'] }
    $after = [ordered]@{ status = $before['status']; start_mode = $before['start_mode'] }
    $mode = Get-AgentArg $A 'start_mode'
    if ($null -ne $mode) { $after['start_mode'] = $script:StartModeRecord[$mode] }
    $state = Get-AgentArg $A 'state'
    if (($state -eq 'running' -or $state -eq 'restarted') -and $after['start_mode'] -eq 'Disabled') {
        throw (New-AgentError -Code 'precondition' -Text ('service {0} is Disabled: set start_mode first' -f $name))
    }
    if ($state -eq 'running' -or $state -eq 'restarted') { $after['status'] = 'Running' }
    if ($state -eq 'stopped') { $after['status'] = 'Stopped' }
    $changed = ($state -eq 'restarted' -or $after['status'] -ne $before['status'] -or $after['start_mode'] -ne $before['start_mode'])
    if (-not $changed -or $script:Ctx.Check) { return (New-AgentEnsureResult -Changed $changed -Before $before -After $after) }
    $restoreMode = 'manual'
    if (@('auto', 'manual', 'disabled') -contains $before['start_mode']) { $restoreMode = $before['start_mode'].ToLowerInvariant() }
    $restoreState = 'stopped'
    if ($before['status'] -eq 'Running') { $restoreState = 'running' }
    $saved = Save-AgentBackupJson -Kind 'service' -Source $name -Data $before -Restore ([ordered]@{ kind = 'service_state'; args = [ordered]@{ name = $name; state = $restoreState; start_mode = $restoreMode } })
    if ($after['start_mode'] -ne $before['start_mode']) {
        $result = Invoke-CimMethod -InputObject $service -MethodName 'ChangeStartMode' -Arguments @{ StartMode = $script:StartModeNames[$mode] }
        $code = [int]$result.ReturnValue
        if ($code -ne 0) {
            $errorCode = 'io_error'
            if ($code -eq 2) { $errorCode = 'access_denied' }
            throw (New-AgentError -Code $errorCode -Text ('Win32_Service.ChangeStartMode({0}) on {1} returned {2}' -f $script:StartModeNames[$mode], $name, $code))
        }
    }
    $controller = New-Object System.ServiceProcess.ServiceController ($name)
    try {
        if ($state -eq 'restarted' -or ($after['status'] -eq 'Stopped' -and $before['status'] -ne 'Stopped')) {
            $controller.Refresh()
            if ($controller.Status -ne [System.ServiceProcess.ServiceControllerStatus]::Stopped) {
                $controller.Stop()
                Wait-AgentServiceStatus -Controller $controller -Want 'Stopped'
            }
        }
        if ($after['status'] -eq 'Running') {
            $controller.Refresh()
            if ($controller.Status -ne [System.ServiceProcess.ServiceControllerStatus]::Running) {
                $controller.Start()
                Wait-AgentServiceStatus -Controller $controller -Want 'Running'
            }
        }
    } finally {
        $controller.Dispose()
    }
    $now = ConvertTo-AgentServiceRecord -Service (Get-AgentServiceTable)[$name.ToLowerInvariant()]
    $after = [ordered]@{ status = $now['status']; start_mode = $now['start_mode'] }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
}
