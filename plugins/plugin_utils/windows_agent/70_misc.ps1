# Host facts and the kinds with no state of their own:
#   system      Win32_ComputerSystem (Name, DNSHostName, Domain, PartOfDomain, DomainRole),
#               Win32_OperatingSystem (Version, LastBootUpTime), Get-WindowsFeature
#               (ServerManager module, installed feature names) where available
#   iis_reset   %windir%\system32\iisreset.exe /noforce, exit code only
#   reboot      unsupported here: the action plugin reboots a Windows host with
#               ansible.windows.win_reboot semantics (wait for the connection to return)
#   lab_inject  unsupported (lab only)

function Get-AgentInstalledFeatures {
    # Installed Windows feature names (ADCS-Device-Enrollment, Web-Server, ...); empty off Windows Server.
    $names = New-Object System.Collections.Generic.List[object]
    try {
        Import-Module -Name ServerManager -ErrorAction Stop -Verbose:$false
        foreach ($feature in @(Get-WindowsFeature -ErrorAction Stop)) {
            if ($feature.Installed) { $names.Add([string]$feature.Name) }
        }
    } catch {
        $names.Clear()   # client SKU or no ServerManager module: no roles to report
    }
    return , $names
}

function Read-AgentSystem {
    # read system: hostname, fqdn, domain_role, os_version, last_boot, now, installed_roles, agent
    param($A)
    $computer = Get-CimInstance -ClassName 'Win32_ComputerSystem' -Property 'Name', 'DNSHostName', 'Domain', 'PartOfDomain', 'DomainRole' -ErrorAction Stop
    $os = Get-CimInstance -ClassName 'Win32_OperatingSystem' -Property 'Version', 'LastBootUpTime' -ErrorAction Stop
    $dnsName = [string]$computer.DNSHostName
    if ($dnsName.Length -eq 0) { $dnsName = [string]$computer.Name }
    $fqdn = $dnsName
    if ($computer.PartOfDomain -and ([string]$computer.Domain).Length -gt 0) { $fqdn = '{0}.{1}' -f $dnsName, $computer.Domain }
    return [ordered]@{
        hostname = [string]$computer.Name
        fqdn = $fqdn.ToLowerInvariant()
        domain_role = [int]$computer.DomainRole
        os_version = [string]$os.Version
        last_boot = (Format-AgentTime -When $os.LastBootUpTime)
        now = (Format-AgentTime -When ([datetime]::UtcNow))
        installed_roles = (Get-AgentInstalledFeatures)
        agent = $script:AgentName
    }
}

function Invoke-EnsureIisReset {
    # ensure iis_reset: always changed when run; after {reset_at}.
    param($A)
    $before = [ordered]@{ reset_at = $null }
    if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ reset_at = $null })) }
    $exe = Join-Path (Get-AgentSystem32) 'iisreset.exe'
    if (-not [System.IO.File]::Exists($exe)) {
        throw (New-AgentError -Code 'unsupported' -Text ('IIS is not installed here ({0} not found)' -f $exe))
    }
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $null = & $exe '/noforce' 2>&1
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $previous
    }
    if ($code -ne 0) {
        throw (New-AgentError -Code 'io_error' -Text ('iisreset /noforce exited with code {0}: a worker process did not stop in time; retry, or restart W3SVC and WAS' -f $code))
    }
    return (New-AgentEnsureResult -Changed $true -Before $before -After ([ordered]@{ reset_at = (Format-AgentTime -When ([datetime]::UtcNow)) }))
}

function Invoke-EnsureReboot {
    # ensure reboot: not done by the agent on Windows.
    param($A)
    throw (New-AgentError -Code 'unsupported' -Text 'the Windows agent does not reboot: the action plugin reboots a Windows host through ansible.windows.win_reboot semantics (reboot, then wait for the connection to come back)')
}

function Invoke-EnsureLabInject {
    # ensure lab_inject: lab only.
    param($A)
    throw (New-AgentError -Code 'unsupported' -Text 'lab_inject is a lab agent kind: failure injection does not exist on a Windows host')
}
