# Agent errors: every failure of an op becomes {code, message} with a code from
# contract.ERROR_CODES. Messages never quote exception text (it is localized):
# an unexpected exception is reported by type name, HRESULT / Win32 code and the
# script line it came from.

function New-AgentError {
    # An exception carrying a contract error code and an English message.
    param(
        [Parameter(Mandatory)][string]$Code,
        [Parameter(Mandatory)][string]$Text
    )
    $exception = New-Object System.InvalidOperationException ('ndes.scep agent error ' + $Code)
    $exception.Data['ndes.scep.code'] = $Code
    $exception.Data['ndes.scep.text'] = $Text
    return $exception
}

function Get-AgentExceptionChain {
    # The exceptions of a caught error, outermost first: an ErrorRecord's exception, then every InnerException
    # (PowerShell wraps a .NET exception in MethodInvocationException, ActionPreferenceStopException, ...).
    param($Failure)
    $walk = $Failure
    if ($walk -is [System.Management.Automation.ErrorRecord]) { $walk = $walk.Exception }
    $chain = New-Object System.Collections.Generic.List[object]
    while ($null -ne $walk) {
        $chain.Add($walk)
        $walk = $walk.InnerException
    }
    return , $chain.ToArray()
}

function Get-AgentExceptionCode {
    # The contract code for an exception that is not an agent error (by type, never by text).
    param($Exception)
    $walk = $Exception
    while ($null -ne $walk) {
        if ($walk -is [System.UnauthorizedAccessException] -or $walk -is [System.Security.SecurityException]) {
            return 'access_denied'
        }
        if ($walk -is [System.IO.FileNotFoundException] -or $walk -is [System.IO.DirectoryNotFoundException] -or
            $walk -is [System.Management.Automation.ItemNotFoundException]) {
            return 'not_found'
        }
        if ($walk -is [System.ComponentModel.Win32Exception]) {
            $native = $walk.NativeErrorCode
            if ($native -eq 5 -or $native -eq 1314) { return 'access_denied' }
            if ($native -eq 2 -or $native -eq 3 -or $native -eq 1060 -or $native -eq 1332) { return 'not_found' }
            return 'io_error'
        }
        if ($walk -is [System.Runtime.InteropServices.COMException] -or $walk -is [System.IO.IOException]) {
            $hr = $walk.HResult
            if ($hr -eq -2147024891) { return 'access_denied' }                        # 0x80070005
            if ($hr -eq -2147024894 -or $hr -eq -2147024893) { return 'not_found' }   # 0x80070002 / 0x80070003
            return 'io_error'
        }
        if ($walk -is [System.Security.Cryptography.CryptographicException]) {
            if ($walk.HResult -eq -2147024891) { return 'access_denied' }
            return 'io_error'
        }
        $walk = $walk.InnerException
    }
    return 'internal'
}

function Get-AgentErrorInfo {
    # {code, message} for a caught error (ErrorRecord or Exception).
    param($Failure)
    $exception = $Failure
    $line = $null
    if ($Failure -is [System.Management.Automation.ErrorRecord]) {
        $exception = $Failure.Exception
        if ($null -ne $Failure.InvocationInfo) { $line = $Failure.InvocationInfo.ScriptLineNumber }
    }
    $walk = $exception
    while ($null -ne $walk) {
        if ($walk.Data.Contains('ndes.scep.code')) {
            return [ordered]@{ code = [string]$walk.Data['ndes.scep.code']; message = [string]$walk.Data['ndes.scep.text'] }
        }
        $walk = $walk.InnerException
    }
    $code = Get-AgentExceptionCode -Exception $exception
    $names = New-Object System.Collections.Generic.List[string]
    $walk = $exception
    while ($null -ne $walk -and $names.Count -lt 4) {
        $part = '{0} (HRESULT 0x{1:X8})' -f $walk.GetType().FullName, $walk.HResult
        if ($walk -is [System.ComponentModel.Win32Exception]) { $part += (' Win32 error {0}' -f $walk.NativeErrorCode) }
        $names.Add($part)
        $walk = $walk.InnerException
    }
    $text = 'unexpected ' + ($names -join ' <- ')
    if ($null -ne $line) { $text += (' at agent script line {0}' -f $line) }
    return [ordered]@{ code = $code; message = $text }
}
