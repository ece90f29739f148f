# Dispatch: kind -> (category, handler function, args spec). A copy of
# contract.KINDS (category and args) that tests/unit/windows/test_ps_static.py
# compares with plugins/module_utils/_agent/contract.py: keep one row per line.
# Handlers take the op's args (a hashtable); a read returns its data, an ensure
# returns New-AgentEnsureResult.

$script:AgentKinds = [ordered]@{
    'system'            = @('read', 'Read-AgentSystem', '')
    'registry_key'      = @('read', 'Read-AgentRegistryKey', 'path=str; names=list[str]?; recurse=bool?')
    'iis_sites'         = @('read', 'Read-AgentIisSites', '')
    'iis_config'        = @('read', 'Read-AgentIisConfig', 'section=str; location=str; attributes=list[str]?')
    'app_pools'         = @('read', 'Read-AgentAppPools', 'names=list[str]?')
    'services'          = @('read', 'Read-AgentServices', 'names=list[str]')
    'cert_store'        = @('read', 'Read-AgentCertStore', 'store=str; location=enum:LocalMachine|CurrentUser?; include_archived=bool?; include_acl=bool?')
    'cert_chain'        = @('read', 'Read-AgentCertChain', 'thumbprint=str; store=str; online=bool?')
    'user_right'        = @('read', 'Read-AgentUserRight', 'right=str')
    'events'            = @('read', 'Read-AgentEvents', 'log=str; provider=str?; ids=list[int]?; since_hours=int?; max=int?')
    'file_tail'         = @('read', 'Read-AgentFileTail', 'directory=str; pattern=str; max_bytes=int?; since=str?; max_files=int?; head_bytes=int?')
    'folder_acl'        = @('read', 'Read-AgentFolderAcl', 'path=str')
    'ad_account'        = @('read', 'Read-AgentAdAccount', 'account=str')
    'resolve_principal' = @('read', 'Read-AgentResolvePrincipal', 'names=list[str]')
    'backups'           = @('read', 'Read-AgentBackups', 'run_id=str?')
    'template_access'   = @('read', 'Read-AgentTemplateAccess', 'templates=list[str]; ca=str?')
    'registry_value'    = @('ensure', 'Invoke-EnsureRegistryValue', 'path=str; name=str; type=enum:REG_DWORD|REG_SZ|REG_EXPAND_SZ|REG_MULTI_SZ|REG_QWORD; value=any; state=enum:present|absent?')
    'iis_property'      = @('ensure', 'Invoke-EnsureIisProperty', 'section=str; location=str; commit_path=str; commit_location=str?; attributes=dict')
    'user_right_grant'  = @('ensure', 'Invoke-EnsureUserRightGrant', 'right=str; add=list[str]?; remove=list[str]?; override_gpo=bool?')
    'app_pool_state'    = @('ensure', 'Invoke-EnsureAppPoolState', 'name=str; state=enum:started|stopped|recycled?; auto_start=bool?')
    'service_state'     = @('ensure', 'Invoke-EnsureServiceState', 'name=str; state=enum:running|stopped|restarted?; start_mode=enum:auto|manual|disabled?')
    'cert_move'         = @('ensure', 'Invoke-EnsureCertMove', 'thumbprint=str; from_store=str; to_store=str')
    'key_acl_grant'     = @('ensure', 'Invoke-EnsureKeyAclGrant', 'thumbprint=str; store=str; sid=str; rights=enum:read|full_control')
    'folder_acl_grant'  = @('ensure', 'Invoke-EnsureFolderAclGrant', 'path=str; sid=str; rights=enum:read|modify|full_control')
    'event_log_state'   = @('ensure', 'Invoke-EnsureEventLogState', 'log=str; enabled=bool')
    'iis_reset'         = @('ensure', 'Invoke-EnsureIisReset', '')
    'cert_enroll'       = @('ensure', 'Invoke-EnsureCertEnroll', 'ca=str; template=str; subject=str; san_dns=list[str]?; context=enum:machine|user; provider=str?; replaces=str?; exportable=bool?')
    'cert_archive'      = @('ensure', 'Invoke-EnsureCertArchive', 'thumbprint=str; store=str')
    'restore'           = @('ensure', 'Invoke-EnsureRestore', 'run_id=str; items=list[str]?')
    'reboot'            = @('ensure', 'Invoke-EnsureReboot', 'reason=str?')
    'lab_inject'        = @('ensure', 'Invoke-EnsureLabInject', 'fail_ensure=int?; drop_connection=bool?; latency=any?; clear=bool?')
}

# Kinds that only appear as the restore op of a manifest item (never in a request).
$script:RestoreOnlyKinds = [ordered]@{
    'file_restore'   = 'Invoke-RestoreFile'
    'key_acl_set'    = 'Invoke-RestoreKeyAclSet'
    'folder_acl_set' = 'Invoke-RestoreFolderAclSet'
    'cert_unarchive' = 'Invoke-RestoreCertUnarchive'
}

function New-AgentEnsureResult {
    # {changed, before, after, backup?, warnings?}
    param(
        [bool]$Changed,
        $Before,
        $After,
        $Backup = $null,
        $Warnings = $null
    )
    $out = [ordered]@{ changed = $Changed; before = $Before; after = $After }
    if ($null -ne $Backup -and [string]$Backup -ne '') { $out['backup'] = [string]$Backup }
    if ($null -ne $Warnings -and @($Warnings).Count -gt 0) { $out['warnings'] = [object[]]@($Warnings) }
    return $out
}

function Invoke-AgentHandler {
    # Run a handler by name; its answer is the last dictionary it wrote (stray output is dropped).
    param([string]$Handler, $OpArgs)
    $output = @(& $Handler $OpArgs)
    for ($i = $output.Count - 1; $i -ge 0; $i--) {
        if ($output[$i] -is [System.Collections.IDictionary]) { return $output[$i] }
    }
    throw (New-AgentError -Code 'internal' -Text ('handler {0} returned no result' -f $Handler))
}

function New-AgentFailedResult {
    param($Op, [string]$Code, [string]$Text)
    return [ordered]@{ id = $Op['id']; kind = $Op['kind']; status = 'failed'; error = [ordered]@{ code = $Code; message = $Text } }
}

function Test-AgentIfChanged {
    # Does this ensure run? Yes without if_changed; with it, only when one of the earlier ensures it
    # names reported changed (in check mode: would change).
    param($Op)
    $names = $Op['if_changed']
    if ($null -eq $names) { return $true }
    foreach ($name in $names) {
        $key = [string]$name
        if ($script:ResultsById.ContainsKey($key)) {
            $earlier = $script:ResultsById[$key]
            if ($earlier.Contains('changed') -and $earlier['changed'] -is [bool] -and $earlier['changed']) { return $true }
        }
    }
    return $false
}

function New-AgentSkippedResult {
    # An if_changed ensure none of whose named ensures changed: ok, nothing looked at or changed.
    param($Op)
    return [ordered]@{ id = $Op['id']; kind = $Op['kind']; status = 'ok'; changed = $false; before = [ordered]@{}; after = [ordered]@{}; skipped = $true }
}

function Invoke-AgentOp {
    # One op -> its result: args checked, placeholders resolved, handler run, errors as contract errors.
    param($Op)
    $kind = [string]$Op['kind']
    $row = $script:AgentKinds[$kind]
    $opArgs = $Op['args']
    try {
        Test-AgentFields -Object $opArgs -Spec (ConvertFrom-AgentSpec -Text $row[2]) -Where 'args'
        $script:Ctx.OpId = [string]$Op['id']
        $script:Ctx.ItemFile = $null
        if ($row[0] -eq 'read') {
            $resolution = Resolve-AgentPlaceholders -Kind $kind -OpArgs $opArgs
            $data = Invoke-AgentHandler -Handler $row[1] -OpArgs $resolution['args']
            if ($null -ne $resolution['resolved']) {
                if ($kind -eq 'resolve_principal') {
                    # principals stay keyed by the names as sent
                    $byName = [ordered]@{}
                    $sent = @($opArgs['names'])
                    $used = @($resolution['args']['names'])
                    for ($i = 0; $i -lt $sent.Count; $i++) { $byName[[string]$sent[$i]] = $data['principals'][[string]$used[$i]] }
                    $data['principals'] = $byName
                }
                $data['resolved'] = $resolution['resolved']
            }
            return [ordered]@{ id = $Op['id']; kind = $kind; status = 'ok'; data = $data }
        }
        $resolution = Resolve-AgentPlaceholders -Kind $kind -OpArgs $opArgs   # @result: (no resolved field on ensures)
        $outcome = Invoke-AgentHandler -Handler $row[1] -OpArgs $resolution['args']
        $result = [ordered]@{ id = $Op['id']; kind = $kind; status = 'ok' }
        foreach ($key in $outcome.Keys) { $result[$key] = $outcome[$key] }
        return $result
    } catch {
        if (Test-AgentDeferred -Failure $_) {
            # check mode: an @result: reference with no value yet; a real run has one
            return [ordered]@{ id = $Op['id']; kind = $kind; status = 'not_run' }
        }
        $info = Get-AgentErrorInfo -Failure $_
        return (New-AgentFailedResult -Op $Op -Code $info['code'] -Text $info['message'])
    }
}
