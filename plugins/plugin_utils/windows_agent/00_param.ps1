# ndes.scep Windows host agent (Windows PowerShell 5.1).
#
# The files in this folder are joined in file-name order into ONE script that
# plugins/plugin_utils/_action_base.py sends through ansible.windows.win_powershell
# with parameters {Request: <JSON string>}. Every file but the last only defines
# functions and tables; 99_main.ps1 runs the request and writes ONE JSON string,
# the only object the script outputs. Contract: docs/contract.md and
# plugins/module_utils/_agent/contract.py. Microsoft APIs used: docs/windows-agent.md.
#
# SupportsShouldProcess: win_powershell runs the script in check mode only when it
# declares it; check mode itself is taken from request.check_mode and
# $Ansible.CheckMode, never from -WhatIf (the agent writes through .NET APIs).
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [string]$Request
)

Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'

$script:AgentName = 'windows'
$script:ContractVersion = 1
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
