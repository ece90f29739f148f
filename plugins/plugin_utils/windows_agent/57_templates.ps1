# template_access: certificate templates as the forest publishes them (ADSI, under
# CN=Certificate Templates,CN=Public Key Services,CN=Services,<configurationNamingContext>;
# attributes per MS-CRTD: cn, msPKI-Cert-Template-OID, msPKI-Template-Schema-Version,
# flags (0x40 CT_FLAG_MACHINE_TYPE), msPKI-Private-Key-Flag (0x10 exportable),
# pKIDefaultCSPs, pKIExpirationPeriod, pKIExtendedKeyUsage, pKIKeyUsage) and whether
# the enrolling identities may Read and Enroll: the template's DACL
# (DirectoryEntry.ObjectSecurity, SIDs), Enroll = the extended right
# 0e10c968-78fb-11d2-90d4-00c04f79dc55 (or all extended rights), Read = ReadProperty;
# a deny ACE for the same right wins. Identities: machine = the host's computer
# account (its AD tokenGroups), user = the account the agent runs as
# (WindowsIdentity.GetCurrent() groups). Offered: the CA's pKIEnrollmentService
# certificateTemplates. Filters hold constants only: names are matched on the agent.
# Any failure to ask AD gives status unknown with the exception type and HRESULT.

$script:EnrollRight = [guid]'0e10c968-78fb-11d2-90d4-00c04f79dc55'
$script:EveryoneSid = 'S-1-1-0'
$script:AuthenticatedUsersSid = 'S-1-5-11'

function Get-AgentAdValue {
    # First value of an ADSI property, or $null.
    param($Properties, [string]$Name)
    if (-not $Properties.Contains($Name)) { return $null }
    $values = $Properties[$Name]
    if ($values.Count -eq 0) { return $null }
    return , $values[0]
}

function Get-AgentAdValues {
    param($Properties, [string]$Name)
    $out = New-Object System.Collections.Generic.List[object]
    if ($Properties.Contains($Name)) { foreach ($value in $Properties[$Name]) { $out.Add($value) } }
    return , $out
}

function Get-AgentConfigurationNc {
    $rootDse = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://RootDSE')
    try { return [string]$rootDse.Properties['configurationNamingContext'].Value } finally { $rootDse.Dispose() }
}

function Find-AgentAdObjects {
    # SearchResults under a base DN for a constant filter.
    param([string]$BaseDn, [string]$Filter, [string[]]$Properties)
    $root = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://' + $BaseDn)
    $searcher = New-Object System.DirectoryServices.DirectorySearcher ($root)
    try {
        $searcher.Filter = $Filter
        $searcher.SearchScope = [System.DirectoryServices.SearchScope]::OneLevel
        $searcher.PageSize = 500
        $searcher.ClientTimeout = [System.TimeSpan]::FromSeconds(30)
        foreach ($name in $Properties) { [void]$searcher.PropertiesToLoad.Add($name) }
        $out = New-Object System.Collections.Generic.List[object]
        foreach ($hit in $searcher.FindAll()) { $out.Add($hit) }
        return , $out
    } finally {
        $searcher.Dispose()
        $root.Dispose()
    }
}

function Get-AgentIdentities {
    # {machine: {name, sid, sids}, user: {name, sid, sids}}
    $current = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $userSids = New-Object System.Collections.Generic.List[object]
    $userSids.Add($current.User.Value)
    foreach ($group in $current.Groups) {
        $sid = $group.Translate([System.Security.Principal.SecurityIdentifier]).Value
        if (-not $userSids.Contains($sid)) { $userSids.Add($sid) }
    }
    $user = [ordered]@{ name = [string]$current.Name; sid = $current.User.Value; sids = $userSids }
    $computer = Get-CimInstance -ClassName 'Win32_ComputerSystem' -Property 'Name', 'Domain' -ErrorAction Stop
    $account = ([string]$computer.Name).ToUpperInvariant() + '$'
    $searcher = New-Object System.DirectoryServices.DirectorySearcher
    try {
        $searcher.Filter = '(&(objectCategory=computer)(sAMAccountName={0}))' -f (ConvertTo-AgentLdapValue -Text $account)
        $searcher.ClientTimeout = [System.TimeSpan]::FromSeconds(30)
        $hit = $searcher.FindOne()
    } finally {
        $searcher.Dispose()
    }
    if ($null -eq $hit) { throw (New-AgentError -Code 'not_found' -Text ('computer account {0} not found in the domain' -f $account)) }
    $entry = $hit.GetDirectoryEntry()
    $machineSids = New-Object System.Collections.Generic.List[object]
    try {
        $entry.RefreshCache([string[]]@('objectSid', 'tokenGroups'))
        $machineSid = (New-Object System.Security.Principal.SecurityIdentifier ([byte[]]$entry.Properties['objectSid'].Value, 0)).Value
        $machineSids.Add($machineSid)
        foreach ($bytes in $entry.Properties['tokenGroups']) {
            $sid = (New-Object System.Security.Principal.SecurityIdentifier ([byte[]]$bytes, 0)).Value
            if (-not $machineSids.Contains($sid)) { $machineSids.Add($sid) }
        }
    } finally {
        $entry.Dispose()
    }
    foreach ($sid in @($script:EveryoneSid, $script:AuthenticatedUsersSid)) { if (-not $machineSids.Contains($sid)) { $machineSids.Add($sid) } }
    $domain = ([string]$computer.Domain).Split('.')[0].ToUpperInvariant()
    $machine = [ordered]@{ name = ('{0}\{1}' -f $domain, $account); sid = $machineSid; sids = $machineSids }
    return [ordered]@{ machine = $machine; user = $user }
}

function Get-AgentTemplateAccess {
    # {read, enroll} for a token holding Sids under a template's DACL.
    param($Security, $Sids)
    $allow = @{ read = $false; enroll = $false }
    $deny = @{ read = $false; enroll = $false }
    $wanted = @{}
    foreach ($sid in $Sids) { $wanted[([string]$sid).ToUpperInvariant()] = $true }
    foreach ($rule in $Security.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if (-not $wanted.ContainsKey($rule.IdentityReference.Value.ToUpperInvariant())) { continue }
        $rights = [int64]$rule.ActiveDirectoryRights
        $all = ($rule.ObjectType -eq [guid]::Empty)
        # full control = every bit of GenericAll (a read-only ACE shares some of them)
        $genericAll = [int64][System.DirectoryServices.ActiveDirectoryRights]::GenericAll
        $full = ((($rights -band $genericAll) -eq $genericAll) -and $all)
        $grants = @{
            read = ($full -or ((($rights -band [int64][System.DirectoryServices.ActiveDirectoryRights]::ReadProperty) -ne 0) -and $all))
            enroll = ($full -or ((($rights -band [int64][System.DirectoryServices.ActiveDirectoryRights]::ExtendedRight) -ne 0) -and ($all -or $rule.ObjectType -eq $script:EnrollRight)))
        }
        foreach ($right in @('read', 'enroll')) {
            if (-not $grants[$right]) { continue }
            if ($rule.AccessControlType -eq [System.Security.AccessControl.AccessControlType]::Deny) { $deny[$right] = $true } else { $allow[$right] = $true }
        }
    }
    return [ordered]@{ read = ($allow['read'] -and -not $deny['read']); enroll = ($allow['enroll'] -and -not $deny['enroll']) }
}

function ConvertFrom-AgentKeyUsageBytes {
    # pKIKeyUsage (KeyUsage bit string bytes) -> RFC 5280 names.
    param($Bytes)
    $out = New-Object System.Collections.Generic.List[object]
    if ($null -eq $Bytes) { return , $out }
    $raw = [byte[]]$Bytes
    $mask = 0
    if ($raw.Length -gt 0) { $mask = [int]$raw[0] }
    if ($raw.Length -gt 1) { $mask = $mask -bor ([int]$raw[1] * 256) }
    foreach ($flag in $script:KeyUsageNames.Keys) {
        $bit = [int][System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]$flag
        if (($mask -band $bit) -eq $bit) { $out.Add($script:KeyUsageNames[$flag]) }
    }
    return , $out
}

function ConvertTo-AgentTemplateRecord {
    param($Hit, $Identities)
    $props = $Hit.Properties
    $ranked = New-Object System.Collections.Generic.List[object]
    foreach ($value in (Get-AgentAdValues -Properties $props -Name 'pkidefaultcsps')) {
        # "<rank>,<provider name>"
        $text = [string]$value
        $cut = $text.IndexOf(',')
        $rank = 0
        if ($cut -gt 0) { [void][int]::TryParse($text.Substring(0, $cut), [ref]$rank) }
        $ranked.Add((New-Object psobject -Property @{ rank = $rank; name = $text.Substring($cut + 1) }))
    }
    $providers = New-Object System.Collections.Generic.List[object]
    foreach ($item in @($ranked | Sort-Object -Property rank)) { $providers.Add([string]$item.name) }
    $days = $null
    $period = Get-AgentAdValue -Properties $props -Name 'pkiexpirationperiod'
    if ($null -ne $period) { $days = [int64]([math]::Floor((0 - [System.BitConverter]::ToInt64([byte[]]$period, 0)) / 864000000000)) }
    $flags = [int64](Get-AgentAdValue -Properties $props -Name 'flags')
    $keyFlags = [int64](Get-AgentAdValue -Properties $props -Name 'mspki-private-key-flag')
    $schema = Get-AgentAdValue -Properties $props -Name 'mspki-template-schema-version'
    $subject = 'user'
    if (($flags -band 64) -ne 0) { $subject = 'computer' }
    $ekus = New-Object System.Collections.Generic.List[object]
    foreach ($eku in (Get-AgentAdValues -Properties $props -Name 'pkiextendedkeyusage')) { $ekus.Add([string]$eku) }
    $entry = $Hit.GetDirectoryEntry()
    try {
        $entry.Options.SecurityMasks = [System.DirectoryServices.SecurityMasks]::Dacl
        $entry.RefreshCache([string[]]@('nTSecurityDescriptor'))
        $access = [ordered]@{}
        foreach ($context in $Identities.Keys) {
            $access[$context] = Get-AgentTemplateAccess -Security $entry.ObjectSecurity -Sids $Identities[$context]['sids']
        }
    } finally {
        $entry.Dispose()
    }
    $oid = Get-AgentAdValue -Properties $props -Name 'mspki-cert-template-oid'
    if ($null -ne $oid) { $oid = [string]$oid }
    $version = 1
    if ($null -ne $schema) { $version = [int]$schema }
    return [ordered]@{
        exists = $true; name = [string](Get-AgentAdValue -Properties $props -Name 'cn'); oid = $oid; schema_version = $version
        subject_type = $subject; exportable_key = (($keyFlags -band 16) -ne 0); providers = $providers
        validity_days = $days; ekus = $ekus; key_usage = (ConvertFrom-AgentKeyUsageBytes -Bytes (Get-AgentAdValue -Properties $props -Name 'pkikeyusage'))
        access = $access
    }
}

function Read-AgentTemplateAccess {
    # read template_access: status, reason, identities, templates {name: record}, ca {config, found}
    param($A)
    $caArg = Get-AgentArg $A 'ca'
    try {
        $identities = Get-AgentIdentities
        $configNc = Get-AgentConfigurationNc
        $pki = 'CN=Public Key Services,CN=Services,' + $configNc
        $found = $null
        $offered = @()
        if ($null -ne $caArg) {
            $found = $false
            foreach ($hit in (Find-AgentAdObjects -BaseDn ('CN=Enrollment Services,' + $pki) -Filter '(objectClass=pKIEnrollmentService)' -Properties @('cn', 'dNSHostName', 'certificateTemplates'))) {
                $cn = [string](Get-AgentAdValue -Properties $hit.Properties -Name 'cn')
                $config = '{0}\{1}' -f (Get-AgentAdValue -Properties $hit.Properties -Name 'dnshostname'), $cn
                if ($caArg -eq $config -or $caArg -eq $cn) {
                    $found = $true
                    $offered = @(foreach ($template in (Get-AgentAdValues -Properties $hit.Properties -Name 'certificatetemplates')) { [string]$template })
                }
            }
        }
        $byName = @{}
        foreach ($hit in (Find-AgentAdObjects -BaseDn ('CN=Certificate Templates,' + $pki) -Filter '(objectClass=pKICertificateTemplate)' -Properties @('cn', 'flags', 'msPKI-Cert-Template-OID', 'msPKI-Template-Schema-Version', 'msPKI-Private-Key-Flag', 'pKIDefaultCSPs', 'pKIExpirationPeriod', 'pKIExtendedKeyUsage', 'pKIKeyUsage'))) {
            $byName[[string](Get-AgentAdValue -Properties $hit.Properties -Name 'cn')] = $hit
        }
        $templates = [ordered]@{}
        foreach ($name in $A['templates']) {
            $hit = $byName[[string]$name]
            if ($null -eq $hit) {
                $templates[[string]$name] = [ordered]@{ exists = $false }
                continue
            }
            $record = ConvertTo-AgentTemplateRecord -Hit $hit -Identities $identities
            $record['offered'] = $null
            if ($null -ne $found) { $record['offered'] = ($found -and ($offered -contains [string]$record['name'])) }
            $templates[[string]$name] = $record
        }
    } catch {
        $info = Get-AgentErrorInfo -Failure $_
        if ($_.Exception.Data.Contains('ndes.scep.code') -and $info['code'] -ne 'not_found') { throw }
        return [ordered]@{ status = 'unknown'; reason = ('Active Directory could not be asked: ' + (Get-AgentFailureReason -Failure $_))
                           identities = [ordered]@{}; templates = [ordered]@{} }
    }
    $out = [ordered]@{ status = 'known'; reason = $null; identities = $identities; templates = $templates }
    if ($null -ne $caArg) { $out['ca'] = [ordered]@{ config = [string]$caArg; found = $found } }
    return $out
}
