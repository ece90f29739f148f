# Main flow: parse the request, run reads always, ensures in order (after the
# first failed ensure every later one is not_run; an if_changed ensure none of
# whose named ensures changed is skipped), hold the host lock for the
# ensures when asked, and write ONE JSON string: the only output of the script.
# Check mode: request.check_mode, or $Ansible.CheckMode under win_powershell.

function Test-AnsibleCheckMode {
    $ansibleState = Get-Variable -Name 'Ansible' -ValueOnly -ErrorAction SilentlyContinue
    if ($null -eq $ansibleState) { return $false }
    try { return [bool]$ansibleState.CheckMode } catch { return $false }
}

function Set-AnsibleResult {
    param([bool]$Changed)
    $ansibleState = Get-Variable -Name 'Ansible' -ValueOnly -ErrorAction SilentlyContinue
    if ($null -eq $ansibleState) { return }
    try { $ansibleState.Changed = $Changed } catch { $Changed = $Changed }   # not under win_powershell
}

function Invoke-AgentRequest {
    # The response document for a request JSON text.
    param([string]$Json)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        $request = Read-AgentRequest -Json $Json
    } catch {
        # a request the agent cannot read fails the whole call, with the reason in the task's message
        $info = Get-AgentErrorInfo -Failure $_
        throw ('ndes.scep Windows agent: {0}: {1}' -f $info['code'], $info['message'])
    }
    $check = [bool]$request['check_mode'] -or (Test-AnsibleCheckMode)
    $runId = $null
    if ($null -ne $request['run_id']) { $runId = Test-AgentRunId -RunId ([string]$request['run_id']) }
    $script:Ctx = @{ Check = $check; Backups = $true; RunId = $runId; OpId = $null; ItemFile = $null; Now = [datetime]::UtcNow }
    $script:ResultsById.Clear()
    $results = New-Object System.Collections.Generic.List[object]
    $failed = $false
    $lock = $null
    $lockedOut = $false
    $anyChanged = $false
    try {
        foreach ($op in $request['ops']) {
            $kind = [string]$op['kind']
            if ($script:AgentKinds[$kind][0] -eq 'read') {
                $result = Invoke-AgentOp -Op $op
                $results.Add($result)
                $script:ResultsById[[string]$op['id']] = $result
                continue
            }
            if ($failed) {
                $result = [ordered]@{ id = $op['id']; kind = $kind; status = 'not_run' }
                $results.Add($result)
                $script:ResultsById[[string]$op['id']] = $result
                continue
            }
            if (-not (Test-AgentIfChanged -Op $op)) {
                # if_changed: none of the earlier ensures it names changed (a restart nothing needs)
                $result = New-AgentSkippedResult -Op $op
                $results.Add($result)
                $script:ResultsById[[string]$op['id']] = $result
                continue
            }
            if ([bool]$request['lock'] -and $null -eq $lock -and -not $lockedOut) {
                $lock = Enter-AgentLock
                if ($null -eq $lock) { $lockedOut = $true }
            }
            if ($lockedOut) {
                $result = New-AgentFailedResult -Op $op -Code 'locked' -Text ('another run holds the host lock ({0}) for more than {1} s; retry when it ends' -f $script:LockName, ($script:LockTimeoutMs / 1000))
                $failed = $true
            } else {
                $result = Invoke-AgentOp -Op $op
                if ($result['status'] -eq 'failed') { $failed = $true }
                if ($result.Contains('changed') -and $result['changed']) { $anyChanged = $true }
            }
            $results.Add($result)
            $script:ResultsById[[string]$op['id']] = $result
        }
    } finally {
        Exit-AgentLock -Mutex $lock
    }
    Set-AnsibleResult -Changed $anyChanged
    return [ordered]@{
        version = $script:ContractVersion
        agent = $script:AgentName
        elapsed_ms = [int64]$clock.ElapsedMilliseconds
        results = $results
    }
}

# The only statements that run: everything above defines functions and tables.
$response = Invoke-AgentRequest -Json $Request
Write-Output (ConvertTo-AgentJson -InputObject $response)
