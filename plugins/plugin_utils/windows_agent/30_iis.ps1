# IIS through Microsoft.Web.Administration (ServerManager), loaded from
# %windir%\system32\inetsrv\Microsoft.Web.Administration.dll.
#
# Effective values: ServerManager.GetWebConfiguration(site, path).GetSection(...)
# (GetApplicationHostConfiguration ignores web.config files), the attribute's
# IsInheritedFromDefaultValue telling a schema default.
#
# Origin algorithm (the lab's iis.layers, over the real files): the configuration
# files that can set a value at location Site/a/b are read as XML (read-only):
#   applicationHost.config: the global section and <location path="">  (target 0)
#                           <location path="Site">, "Site/a", "Site/a/b" (target 1..3)
#   Site's web.config (target 1, source 1), Site/a's (2, 2), Site/a/b's (3, 3),
#   and <location path> elements inside a web.config that point at or below it.
# Layers are ordered by (target depth, source depth, document order); the origin of
# an attribute is the last layer whose element carries it. Written as {path, is_default}
# with path MACHINE/WEBROOT/APPHOST[/Site[/a]] and `location` for a <location> tag.
# An attribute that MWA reports as set but that no layer carries comes from the
# root web.config / machine.config: path MACHINE/WEBROOT.
#
# Locked (a web.config at the location cannot set the section): the section's
# overrideModeDefault in applicationHost.config <configSections>, overridden by the
# overrideMode (or allowOverride) of the deepest <location> at or above the location.
#
# Writes: commit_path MACHINE/WEBROOT/APPHOST ->
#   GetApplicationHostConfiguration().GetSection(section[, commit_location]); else
#   GetWebConfiguration(site, path).GetSection(section[, sub location]); then
#   CommitChanges(). A backup copy of the file written is taken first.
# A contract "section" may name an element below a section
# (system.webServer/security/requestFiltering/requestLimits): the longest prefix
# that GetSection accepts is the section, the rest is walked with GetChildElement.

$script:ApphostPath = 'MACHINE/WEBROOT/APPHOST'
$script:IisAssemblyLoaded = $false

function Get-AgentSystem32 {
    # %windir%\system32 as a 64-bit process sees it (sysnative from a 32-bit process on 64-bit Windows).
    if (-not [System.Environment]::Is64BitProcess -and [System.Environment]::Is64BitOperatingSystem) {
        return (Join-Path $env:windir 'sysnative')
    }
    return (Join-Path $env:windir 'system32')
}

function Get-AgentServerManager {
    if (-not $script:IisAssemblyLoaded) {
        $dll = Join-Path (Get-AgentSystem32) 'inetsrv\Microsoft.Web.Administration.dll'
        if (-not [System.IO.File]::Exists($dll)) {
            throw (New-AgentError -Code 'unsupported' -Text ('IIS is not installed here ({0} not found): install the Web-Server role with Web-Mgmt-Console or Web-Scripting-Tools' -f $dll))
        }
        [void][System.Reflection.Assembly]::LoadFrom($dll)
        $script:IisAssemblyLoaded = $true
    }
    return (New-Object Microsoft.Web.Administration.ServerManager)
}

function Get-AgentApphostFile {
    return (Join-Path (Get-AgentSystem32) 'inetsrv\config\applicationHost.config')
}

function Split-AgentIisLocation {
    # 'Default Web Site/certsrv/mscep' -> string[] parts
    param([string]$Location)
    return , [string[]]@($Location -split '/' | Where-Object { $_.Length -gt 0 })
}

function Find-AgentIisSite {
    param($Sm, [string]$Name)
    foreach ($site in $Sm.Sites) {
        if ($site.Name -eq $Name) { return $site }
    }
    return $null
}

function Find-AgentIisPool {
    param($Sm, [string]$Name)
    foreach ($pool in $Sm.ApplicationPools) {
        if ($pool.Name -eq $Name) { return $pool }
    }
    return $null
}

function ConvertTo-AgentNormPath {
    # location text -> lower-case 'a/b/c' (IIS compares location paths case-insensitively)
    param([string]$Text)
    return ((Split-AgentIisLocation -Location $Text) -join '/').ToLowerInvariant()
}

function Get-AgentIisPhysicalPath {
    # The expanded physical folder of Site + virtual path, or $null when the site has no application for it.
    param($Site, [string[]]$Rest)
    $virtual = ''
    if ($Rest.Count -gt 0) { $virtual = '/' + ($Rest -join '/') }
    $bestApp = $null
    $bestAppPath = $null
    foreach ($app in $Site.Applications) {
        $appPath = $app.Path.TrimEnd('/')
        if (($virtual -eq $appPath -or $virtual.StartsWith($appPath + '/', [System.StringComparison]::OrdinalIgnoreCase)) -and
            ($null -eq $bestAppPath -or $appPath.Length -gt $bestAppPath.Length)) {
            $bestApp = $app
            $bestAppPath = $appPath
        }
    }
    if ($null -eq $bestApp) { return $null }
    $bestDir = $null
    $bestDirPath = $null
    foreach ($dir in $bestApp.VirtualDirectories) {
        $dirPath = ($bestAppPath + $dir.Path).TrimEnd('/')
        if (($virtual -eq $dirPath -or $virtual.StartsWith($dirPath + '/', [System.StringComparison]::OrdinalIgnoreCase)) -and
            ($null -eq $bestDirPath -or $dirPath.Length -gt $bestDirPath.Length)) {
            $bestDir = $dir
            $bestDirPath = $dirPath
        }
    }
    if ($null -eq $bestDir) { return $null }
    $physical = [System.Environment]::ExpandEnvironmentVariables($bestDir.PhysicalPath).TrimEnd('\')
    $remainder = $virtual.Substring($bestDirPath.Length).Trim('/')
    if ($remainder.Length -gt 0) { $physical = $physical + '\' + $remainder.Replace('/', '\') }
    return $physical
}

# ------------------------------------------------------------------ XML layers (origin, locked)
function Read-AgentXmlFile {
    # XmlDocument of a config file, or $null when the file does not exist.
    param([string]$Path)
    if (-not [System.IO.File]::Exists($Path)) { return $null }
    $doc = New-Object System.Xml.XmlDocument
    $doc.XmlResolver = $null
    $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::ReadWrite)
    try { $doc.Load($stream) } finally { $stream.Dispose() }
    return $doc
}

function Get-AgentXmlChildren {
    param($Node, [string]$Name)
    $out = New-Object System.Collections.Generic.List[object]
    if ($null -eq $Node) { return , $out }
    foreach ($child in $Node.ChildNodes) {
        if ($child.NodeType -eq [System.Xml.XmlNodeType]::Element -and $child.LocalName -ceq $Name) { $out.Add($child) }
    }
    return , $out
}

function Find-AgentXmlPath {
    param($Container, [string[]]$Parts)
    $node = $Container
    foreach ($part in $Parts) {
        $children = Get-AgentXmlChildren -Node $node -Name $part
        if ($children.Count -eq 0) { return $null }
        $node = $children[0]
    }
    return $node
}

function Get-AgentXmlAttr {
    param($Node, [string]$Name)
    if ($null -eq $Node -or -not $Node.HasAttribute($Name)) { return $null }
    return $Node.GetAttribute($Name)
}

function Get-AgentIisLayers {
    # Ordered [@{origin; node; key}] contributing to element Section at Location (see the header).
    param($Sm, [string]$Section, [string[]]$Parts)
    $elParts = $Section.Split('/')
    $found = New-Object System.Collections.Generic.List[object]
    $add = {
        param([int]$Target, [int]$Source, $Origin, $Container)
        $node = Find-AgentXmlPath -Container $Container -Parts $elParts
        if ($null -ne $node) {
            $found.Add(@{ target = $Target; source = $Source; order = $found.Count; origin = $Origin; node = $node })
        }
    }
    $wanted = @{}
    for ($d = 1; $d -le $Parts.Count; $d++) { $wanted[(($Parts[0..($d - 1)]) -join '/').ToLowerInvariant()] = $d }
    $apphost = Read-AgentXmlFile -Path (Get-AgentApphostFile)
    if ($null -ne $apphost) {
        $root = $apphost.DocumentElement
        & $add 0 0 ([ordered]@{ path = $script:ApphostPath; is_default = $false }) $root
        foreach ($loc in (Get-AgentXmlChildren -Node $root -Name 'location')) {
            $raw = [string](Get-AgentXmlAttr -Node $loc -Name 'path')
            $key = ConvertTo-AgentNormPath -Text $raw
            if ($key -eq '') {
                & $add 0 0 ([ordered]@{ path = $script:ApphostPath; is_default = $false; location = $raw }) $loc
            } elseif ($wanted.ContainsKey($key)) {
                & $add $wanted[$key] 0 ([ordered]@{ path = $script:ApphostPath; is_default = $false; location = $raw }) $loc
            }
        }
    }
    $site = $null
    if ($Parts.Count -gt 0) { $site = Find-AgentIisSite -Sm $Sm -Name $Parts[0] }
    if ($null -ne $site) {
        for ($depth = 1; $depth -le $Parts.Count; $depth++) {
            $rest = [string[]]@()
            if ($depth -gt 1) { $rest = [string[]]$Parts[1..($depth - 1)] }
            $folder = Get-AgentIisPhysicalPath -Site $site -Rest $rest
            if ($null -eq $folder) { continue }
            $web = Read-AgentXmlFile -Path (Join-Path $folder 'web.config')
            if ($null -eq $web) { continue }
            $configPath = $script:ApphostPath + '/' + ((@($site.Name) + $rest) -join '/')
            & $add $depth $depth ([ordered]@{ path = $configPath; is_default = $false }) $web.DocumentElement
            foreach ($loc in (Get-AgentXmlChildren -Node $web.DocumentElement -Name 'location')) {
                $raw = [string](Get-AgentXmlAttr -Node $loc -Name 'path')
                $target = ConvertTo-AgentNormPath -Text ((($Parts[0..($depth - 1)]) -join '/') + '/' + $raw)
                if ($wanted.ContainsKey($target) -and $wanted[$target] -ge $depth) {
                    & $add $wanted[$target] $depth ([ordered]@{ path = $configPath; is_default = $false; location = $raw }) $loc
                }
            }
        }
    }
    $sorted = @($found | Sort-Object -Property @{ Expression = { $_['target'] } }, @{ Expression = { $_['source'] } }, @{ Expression = { $_['order'] } })
    return , $sorted
}

function Test-AgentIisLocked {
    # True when the section cannot be set in a web.config at Parts (overrideMode Deny).
    param([string]$Section, [string[]]$Parts)
    $apphost = Read-AgentXmlFile -Path (Get-AgentApphostFile)
    if ($null -eq $apphost) { return $false }
    $root = $apphost.DocumentElement
    $mode = 'Allow'
    $group = Find-AgentXmlPath -Container $root -Parts @('configSections')
    foreach ($part in $Section.Split('/')) {
        if ($null -eq $group) { break }
        $declared = $null
        foreach ($candidate in (Get-AgentXmlChildren -Node $group -Name 'section')) {
            if ($candidate.GetAttribute('name') -ceq $part) { $declared = $candidate; break }
        }
        if ($null -ne $declared) {
            $default = Get-AgentXmlAttr -Node $declared -Name 'overrideModeDefault'
            if ($null -ne $default) { $mode = $default }
            break
        }
        $next = $null
        foreach ($candidate in (Get-AgentXmlChildren -Node $group -Name 'sectionGroup')) {
            if ($candidate.GetAttribute('name') -ceq $part) { $next = $candidate; break }
        }
        $group = $next
    }
    $best = -1
    foreach ($loc in (Get-AgentXmlChildren -Node $root -Name 'location')) {
        $override = Get-AgentXmlAttr -Node $loc -Name 'overrideMode'
        if ($null -eq $override) {
            $allow = Get-AgentXmlAttr -Node $loc -Name 'allowOverride'
            if ($null -ne $allow) { if ($allow -eq 'false') { $override = 'Deny' } else { $override = 'Allow' } }
        }
        if ($override -ne 'Allow' -and $override -ne 'Deny') { continue }
        $key = ConvertTo-AgentNormPath -Text ([string](Get-AgentXmlAttr -Node $loc -Name 'path'))
        $depth = (Split-AgentIisLocation -Location $key).Count
        if ($depth -gt $Parts.Count -or $depth -le $best) { continue }
        $prefix = ''
        if ($depth -gt 0) { $prefix = (($Parts[0..($depth - 1)]) -join '/').ToLowerInvariant() }
        if ($key -eq $prefix) {
            $best = $depth
            $mode = $override
        }
    }
    return ($mode -eq 'Deny')
}

# ------------------------------------------------------------------ MWA elements and values
function Get-AgentIisElement {
    # The ConfigurationElement for a contract section path in a Configuration (optionally at a <location>).
    param($Config, [string]$Section, [string]$LocationPath)
    $parts = $Section.Split('/')
    for ($cut = $parts.Count; $cut -ge 1; $cut--) {
        $name = ($parts[0..($cut - 1)]) -join '/'
        $element = $null
        try {
            if ([string]::IsNullOrEmpty($LocationPath)) { $element = $Config.GetSection($name) } else { $element = $Config.GetSection($name, $LocationPath) }
        } catch {
            $element = $null
        }
        if ($null -eq $element) { continue }
        for ($i = $cut; $i -lt $parts.Count; $i++) {
            try {
                $element = $element.GetChildElement($parts[$i])
            } catch {
                throw (New-AgentError -Code 'invalid_request' -Text ('section {0}: {1} has no child element {2}' -f $Section, $name, $parts[$i]))
            }
        }
        return $element
    }
    throw (New-AgentError -Code 'invalid_request' -Text ('section {0} is not in the IIS configuration schema' -f $Section))
}

function ConvertFrom-AgentIisAttribute {
    # The attribute's value in JSON form: enums and flags by name (schema), TimeSpan as text.
    param($Attribute)
    $value = $Attribute.Value
    if ($null -eq $value) { return $null }
    $schema = $null
    try { $schema = $Attribute.Schema } catch { $schema = $null }
    if ($null -ne $schema -and ($schema.Type -eq 'enum' -or $schema.Type -eq 'flags')) {
        $number = [int64]$value
        $names = New-Object System.Collections.Generic.List[string]
        foreach ($entry in $schema.GetEnumValues()) {
            $entryValue = [int64]$entry.Value
            if ($schema.Type -eq 'enum' -and $entryValue -eq $number) { return [string]$entry.Name }
            if ($schema.Type -eq 'flags' -and $entryValue -ne 0 -and ($number -band $entryValue) -eq $entryValue) { $names.Add([string]$entry.Name) }
        }
        if ($schema.Type -eq 'flags') { return ($names -join ',') }
        return $number
    }
    if ($value -is [System.TimeSpan]) { return $value.ToString() }
    return , $value
}

function ConvertTo-AgentIisTyped {
    # A requested value converted by the attribute's schema type (for SetAttributeValue and predictions).
    param($Attribute, $Value)
    $type = $null
    try { $type = [string]$Attribute.Schema.Type } catch { $type = $null }
    try {
        switch ($type) {
            'uint' { return [uint32]$Value }
            'int' { return [int32]$Value }
            'int64' { return [int64]$Value }
            'bool' {
                if ($Value -is [string]) { return ($Value -eq 'true') }
                return [bool]$Value
            }
            'timeSpan' { return [System.TimeSpan]::Parse([string]$Value, $script:Invariant) }
            'enum' { return (ConvertTo-AgentIisEnumNumber -Attribute $Attribute -Value $Value) }
            'flags' { return (ConvertTo-AgentIisEnumNumber -Attribute $Attribute -Value $Value) }
        }
    } catch {
        throw (New-AgentError -Code 'invalid_request' -Text ('attribute {0}: {1} does not fit its type {2}' -f $Attribute.Name, $Value, $type))
    }
    return , $Value
}

function ConvertTo-AgentIisEnumNumber {
    # An enum / flags value given by name(s) ('W3C', 'Read,Script') or number -> its number (schema values).
    param($Attribute, $Value)
    if (Test-AgentInteger -Value $Value) { return [int32]$Value }
    $total = 0
    foreach ($part in ([string]$Value).Split(',')) {
        $label = $part.Trim()
        $hit = $null
        foreach ($entry in $Attribute.Schema.GetEnumValues()) { if ([string]$entry.Name -eq $label) { $hit = [int32]$entry.Value } }
        if ($null -eq $hit) { throw (New-AgentError -Code 'invalid_request' -Text ('attribute {0}: {1} is not one of its values' -f $Attribute.Name, $label)) }
        $total = $total -bor $hit
    }
    return [int32]$total
}

function ConvertTo-AgentIisText {
    # The XML text form of a value (to compare with what a config file holds).
    param($Value)
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [System.TimeSpan]) { return $Value.ToString() }
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.IFormattable]) { return $Value.ToString($null, $script:Invariant) }
    return [string]$Value
}

function Get-AgentIisEffective {
    # {attributes, origin, locked} at Location (iis_config data).
    param($Sm, [string]$Section, [string]$Location, $Names)
    $parts = Split-AgentIisLocation -Location $Location
    if ($parts.Count -eq 0) { throw (New-AgentError -Code 'invalid_request' -Text 'location: give Site[/path]') }
    $site = Find-AgentIisSite -Sm $Sm -Name $parts[0]
    if ($null -eq $site) { throw (New-AgentError -Code 'not_found' -Text ('no IIS site at location {0}' -f $Location)) }
    $virtual = '/'
    if ($parts.Count -gt 1) { $virtual = '/' + (($parts[1..($parts.Count - 1)]) -join '/') }
    $config = $Sm.GetWebConfiguration($site.Name, $virtual)
    $element = Get-AgentIisElement -Config $config -Section $Section
    if ($null -eq $Names) { $Names = @(foreach ($attribute in $element.Attributes) { $attribute.Name }) }
    $layers = Get-AgentIisLayers -Sm $Sm -Section $Section -Parts $parts
    $values = [ordered]@{}
    $origin = [ordered]@{}
    foreach ($name in $Names) {
        $attribute = $null
        try { $attribute = $element.GetAttribute([string]$name) } catch { $attribute = $null }
        if ($null -eq $attribute) {
            $values[$name] = $null
            $origin[$name] = [ordered]@{ path = 'default'; is_default = $true }
            continue
        }
        $values[$name] = ConvertFrom-AgentIisAttribute -Attribute $attribute
        if ($attribute.IsInheritedFromDefaultValue) {
            $origin[$name] = [ordered]@{ path = 'default'; is_default = $true }
            continue
        }
        $from = [ordered]@{ path = 'MACHINE/WEBROOT'; is_default = $false }
        foreach ($layer in $layers) {
            if ($layer['node'].HasAttribute([string]$name)) { $from = $layer['origin'] }
        }
        $origin[$name] = $from
    }
    return [ordered]@{ attributes = $values; origin = $origin; locked = (Test-AgentIisLocked -Section $Section -Parts $parts) }
}

# ------------------------------------------------------------------ reads
function Read-AgentIisConfig {
    # read iis_config: effective attributes at a location, their origin, locked
    param($A)
    $sm = Get-AgentServerManager
    try {
        return (Get-AgentIisEffective -Sm $sm -Section $A['section'] -Location $A['location'] -Names (Get-AgentArg $A 'attributes'))
    } finally {
        $sm.Dispose()
    }
}

function Get-AgentObjectState {
    # Site / pool runtime state name; Unknown when WAS cannot tell (e.g. WAS stopped).
    param($Item)
    try { return $Item.State.ToString() } catch { return 'Unknown' }
}

function ConvertTo-AgentSiteRecord {
    param($Site)
    $logDir = [string]$Site.LogFile.Directory
    $format = 'W3C'
    try { $format = [string](ConvertFrom-AgentIisAttribute -Attribute $Site.LogFile.GetAttribute('logFormat')) } catch { $format = 'W3C' }
    $bindings = New-Object System.Collections.Generic.List[object]
    foreach ($binding in $Site.Bindings) {
        $bindings.Add([ordered]@{ protocol = [string]$binding.Protocol; binding_information = [string]$binding.BindingInformation })
    }
    $apps = New-Object System.Collections.Generic.List[object]
    foreach ($app in $Site.Applications) {
        $physical = ''
        foreach ($dir in $app.VirtualDirectories) { if ($dir.Path -eq '/') { $physical = [string]$dir.PhysicalPath } }
        $apps.Add([ordered]@{ path = [string]$app.Path; pool = [string]$app.ApplicationPoolName; physical_path = $physical })
    }
    return [ordered]@{
        id = [int64]$Site.Id; name = [string]$Site.Name; state = (Get-AgentObjectState -Item $Site)
        log_directory = $logDir; log_directory_expanded = [System.Environment]::ExpandEnvironmentVariables($logDir)
        log_format = $format; bindings = $bindings; applications = $apps
    }
}

function Read-AgentIisSites {
    # read iis_sites: sites with bindings, applications and log folder
    param($A)
    $sm = Get-AgentServerManager
    try {
        $sites = New-Object System.Collections.Generic.List[object]
        foreach ($site in $sm.Sites) { $sites.Add((ConvertTo-AgentSiteRecord -Site $site)) }
        return [ordered]@{ sites = $sites }
    } finally {
        $sm.Dispose()
    }
}

function ConvertTo-AgentPoolRecord {
    param($Pool)
    $startMode = 'OnDemand'
    try { $startMode = $Pool.StartMode.ToString() } catch { $startMode = 'OnDemand' }
    $rapid = $null
    try { $rapid = [bool]$Pool.Failure.RapidFailProtection } catch { $rapid = $null }
    $user = [string]$Pool.ProcessModel.UserName
    if ($user.Length -eq 0) { $user = $null }
    return [ordered]@{
        name = [string]$Pool.Name; state = (Get-AgentObjectState -Item $Pool); auto_start = [bool]$Pool.AutoStart
        start_mode = $startMode; identity_type = $Pool.ProcessModel.IdentityType.ToString(); user_name = $user
        rapid_fail_protection = $rapid
    }
}

function Read-AgentAppPools {
    # read app_pools: runtime state, autoStart, startMode, identity
    param($A)
    $names = Get-AgentArg $A 'names'
    $sm = Get-AgentServerManager
    try {
        $pools = New-Object System.Collections.Generic.List[object]
        foreach ($pool in $sm.ApplicationPools) {
            if ($null -ne $names -and -not (@($names) -contains $pool.Name)) { continue }
            $pools.Add((ConvertTo-AgentPoolRecord -Pool $pool))
        }
        return [ordered]@{ pools = $pools }
    } finally {
        $sm.Dispose()
    }
}

function Get-AgentPoolUser {
    # @pool_user: the pool's processModel userName when identityType is SpecificUser.
    param([string]$Name)
    $sm = Get-AgentServerManager
    try {
        $pool = Find-AgentIisPool -Sm $sm -Name $Name
        if ($null -eq $pool) { Stop-AgentPlaceholder -Name 'pool_user' -Parameter $Name -Why 'no application pool of that name' }
        $identity = $pool.ProcessModel.IdentityType.ToString()
        $user = [string]$pool.ProcessModel.UserName
        if ($identity -ne 'SpecificUser' -or $user.Length -eq 0) {
            Stop-AgentPlaceholder -Name 'pool_user' -Parameter $Name -Why ('the pool runs as {0}, not a SpecificUser account' -f $identity)
        }
        return $user
    } finally {
        $sm.Dispose()
    }
}

function Get-AgentSiteLogFolder {
    # @site_log_folder: the site's expanded logFile directory + \W3SVC<site id>.
    param([string]$Name)
    $sm = Get-AgentServerManager
    try {
        $site = Find-AgentIisSite -Sm $sm -Name $Name
        if ($null -eq $site) { Stop-AgentPlaceholder -Name 'site_log_folder' -Parameter $Name -Why 'no IIS site of that name' }
        $folder = [System.Environment]::ExpandEnvironmentVariables([string]$site.LogFile.Directory).TrimEnd('\')
        return ('{0}\W3SVC{1}' -f $folder, $site.Id)
    } finally {
        $sm.Dispose()
    }
}

# ------------------------------------------------------------------ ensures
function Get-AgentIisCommitPlan {
    # Where a write goes: @{file; apphost; site; virtual; location; key_target; key_source; config_path}
    param($Sm, [string]$Section, [string[]]$Parts, [string]$CommitPath, $CommitLocation)
    $commit = $CommitPath.Trim().TrimEnd('/')
    if (-not $commit.StartsWith($script:ApphostPath, [System.StringComparison]::OrdinalIgnoreCase)) {
        throw (New-AgentError -Code 'invalid_request' -Text ('commit_path must be {0} or {0}/<site>[/<path>], got {1}' -f $script:ApphostPath, $CommitPath))
    }
    $rest = Split-AgentIisLocation -Location $commit.Substring($script:ApphostPath.Length)
    if ($rest.Count -eq 0) {
        $target = $Parts
        if ($null -ne $CommitLocation) { $target = Split-AgentIisLocation -Location ([string]$CommitLocation) }
        return @{ file = (Get-AgentApphostFile); apphost = $true; location = ($target -join '/'); key_target = $target.Count
                  key_source = 0; config_path = $script:ApphostPath }
    }
    $prefix = ''
    if ($rest.Count -le $Parts.Count) { $prefix = (($Parts[0..($rest.Count - 1)]) -join '/') }
    if ($rest.Count -gt $Parts.Count -or (ConvertTo-AgentNormPath -Text $prefix) -ne (ConvertTo-AgentNormPath -Text ($rest -join '/'))) {
        throw (New-AgentError -Code 'invalid_request' -Text ('commit_path {0} is not {1} or a parent of location {2}' -f $CommitPath, $script:ApphostPath, ($Parts -join '/')))
    }
    if (Test-AgentIisLocked -Section $Section -Parts $rest) {
        throw (New-AgentError -Code 'precondition' -Text ('section {0} is locked at {1} (overrideModeDefault="Deny" in applicationHost.config): commit it to {2} with a <location path="{3}">' -f $Section, ($rest -join '/'), $script:ApphostPath, ($Parts -join '/')))
    }
    $site = Find-AgentIisSite -Sm $Sm -Name $rest[0]
    $restInSite = [string[]]@()
    if ($rest.Count -gt 1) { $restInSite = [string[]]$rest[1..($rest.Count - 1)] }
    $folder = $null
    if ($null -ne $site) { $folder = Get-AgentIisPhysicalPath -Site $site -Rest $restInSite }
    if ($null -eq $folder) { throw (New-AgentError -Code 'not_found' -Text ('no site or application at {0}' -f ($rest -join '/'))) }
    $sub = ''
    if ($Parts.Count -gt $rest.Count) { $sub = ($Parts[$rest.Count..($Parts.Count - 1)]) -join '/' }
    return @{ file = (Join-Path $folder 'web.config'); apphost = $false; site = $site.Name; virtual = ('/' + ($restInSite -join '/'))
              location = $sub; key_target = $Parts.Count; key_source = $rest.Count
              config_path = ($script:ApphostPath + '/' + ((@($site.Name) + $restInSite) -join '/')) }
}

function Get-AgentIisExplicit {
    # {attr: text or $null} set explicitly at the commit container of a plan, from the file's XML.
    param($Plan, [string]$Section, $Names)
    $out = @{}
    foreach ($name in $Names) { $out[$name] = $null }
    $doc = Read-AgentXmlFile -Path $Plan['file']
    if ($null -eq $doc) { return $out }
    $container = $doc.DocumentElement
    if ($Plan['location'] -ne '') {
        $container = $null
        foreach ($loc in (Get-AgentXmlChildren -Node $doc.DocumentElement -Name 'location')) {
            if ((ConvertTo-AgentNormPath -Text ([string](Get-AgentXmlAttr -Node $loc -Name 'path'))) -eq (ConvertTo-AgentNormPath -Text $Plan['location'])) { $container = $loc }
        }
    }
    if ($null -eq $container) { return $out }
    $node = Find-AgentXmlPath -Container $container -Parts $Section.Split('/')
    foreach ($name in $Names) { $out[$name] = Get-AgentXmlAttr -Node $node -Name $name }
    return $out
}

function Invoke-EnsureIisProperty {
    # ensure iis_property: before/after {attributes} effective at location; backup: copy of the file written.
    param($A)
    $section = [string]$A['section']
    $location = [string]$A['location']
    $wanted = $A['attributes']
    if ($wanted.Count -eq 0) { throw (New-AgentError -Code 'invalid_request' -Text 'attributes: give at least one attribute to set') }
    $names = @($wanted.Keys | ForEach-Object { [string]$_ } | Sort-Object)
    $parts = Split-AgentIisLocation -Location $location
    $sm = Get-AgentServerManager
    try {
        if ($parts.Count -eq 0 -or $null -eq (Find-AgentIisSite -Sm $sm -Name $parts[0])) {
            throw (New-AgentError -Code 'not_found' -Text ('no IIS site at location {0}' -f $location))
        }
        $current = Get-AgentIisEffective -Sm $sm -Section $section -Location $location -Names $names
        $before = [ordered]@{ attributes = $current['attributes'] }
        $plan = Get-AgentIisCommitPlan -Sm $sm -Section $section -Parts $parts -CommitPath $A['commit_path'] -CommitLocation (Get-AgentArg $A 'commit_location')
        $explicit = Get-AgentIisExplicit -Plan $plan -Section $section -Names $names
        if ($plan['apphost']) {
            $config = $sm.GetApplicationHostConfiguration()
        } else {
            $config = $sm.GetWebConfiguration($plan['site'], $plan['virtual'])
        }
        $element = Get-AgentIisElement -Config $config -Section $section -LocationPath $plan['location']
        $typed = @{}
        $shown = @{}
        $changed = $false
        foreach ($name in $names) {
            $attribute = $null
            try { $attribute = $element.GetAttribute($name) } catch { $attribute = $null }
            if ($null -eq $attribute) {
                throw (New-AgentError -Code 'invalid_request' -Text ('attribute {0} is not in the schema of {1}' -f $name, $section))
            }
            $typed[$name] = ConvertTo-AgentIisTyped -Attribute $attribute -Value $wanted[$name]
            if ($typed[$name] -is [System.TimeSpan]) { $shown[$name] = $typed[$name].ToString() } else { $shown[$name] = $typed[$name] }
            $schemaType = ''
            try { $schemaType = [string]$attribute.Schema.Type } catch { $schemaType = '' }
            if ($schemaType -eq 'enum' -or $schemaType -eq 'flags') {
                # compare and show enums by the name the request gave (config files hold names)
                $shown[$name] = ConvertFrom-AgentIisAttribute -Attribute (New-Object psobject -Property @{ Value = $typed[$name]; Schema = $attribute.Schema })
            }
            $text = ConvertTo-AgentIisText -Value $shown[$name]
            if ($null -eq $explicit[$name] -or $explicit[$name] -ne $text) { $changed = $true }
        }
        # predicted effective values: a deeper layer that sets the attribute keeps its value
        $layers = Get-AgentIisLayers -Sm $sm -Section $section -Parts $parts
        $predicted = [ordered]@{}
        $warnings = New-Object System.Collections.Generic.List[string]
        foreach ($name in $names) {
            $stays = $false
            foreach ($layer in $layers) {
                $deeper = ($layer['target'] -gt $plan['key_target'] -or ($layer['target'] -eq $plan['key_target'] -and $layer['source'] -gt $plan['key_source']))
                if ($deeper -and $layer['node'].HasAttribute($name)) { $stays = $true }
            }
            if ($stays) {
                $predicted[$name] = $before['attributes'][$name]
                $warnings.Add(('{0} at {1} stays {2}: a deeper configuration level sets it' -f $name, $location, (ConvertTo-AgentIisText -Value $predicted[$name])))
            } else {
                $predicted[$name] = $shown[$name]
            }
        }
        $after = [ordered]@{ attributes = $predicted }
        if (-not $changed) { return (New-AgentEnsureResult -Changed $false -Before $before -After $before -Warnings $warnings) }
        if ($script:Ctx.Check) { return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Warnings $warnings) }
        $file = $plan['file']
        $leaf = [System.IO.Path]::GetFileName($file)
        if ([System.IO.File]::Exists($file)) {
            $saved = Save-AgentBackupBytes -Kind 'file' -Source $file -Suffix ('-' + $leaf) -Bytes ([System.IO.File]::ReadAllBytes($file)) -Restore ([ordered]@{ kind = 'file_restore'; args = [ordered]@{ path = $file } })
        } else {
            $saved = Save-AgentBackupJson -Kind 'file' -Source $file -Data ([ordered]@{ path = $file; absent = $true }) -Restore ([ordered]@{ kind = 'file_restore'; args = [ordered]@{ path = $file; absent = $true } })
        }
        foreach ($name in $names) { $element.SetAttributeValue($name, $typed[$name]) }
        $sm.CommitChanges()
    } finally {
        $sm.Dispose()
    }
    $fresh = Get-AgentServerManager
    try {
        $after = [ordered]@{ attributes = (Get-AgentIisEffective -Sm $fresh -Section $section -Location $location -Names $names)['attributes'] }
    } finally {
        $fresh.Dispose()
    }
    return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved -Warnings $warnings)
}

function Wait-AgentPoolState {
    # Poll the runtime state (up to ~10 s) until it is Want.
    param($Pool, [string]$Want)
    for ($i = 0; $i -lt 20; $i++) {
        if ((Get-AgentObjectState -Item $Pool) -eq $Want) { return }
        Start-Sleep -Milliseconds 500
    }
}

function Invoke-EnsureAppPoolState {
    # ensure app_pool_state: before/after {state, auto_start}; started|stopped|recycled.
    param($A)
    $sm = Get-AgentServerManager
    try {
        $pool = Find-AgentIisPool -Sm $sm -Name $A['name']
        if ($null -eq $pool) { throw (New-AgentError -Code 'not_found' -Text ('application pool {0} does not exist' -f $A['name'])) }
        $name = [string]$pool.Name
        $before = [ordered]@{ state = (Get-AgentObjectState -Item $pool); auto_start = [bool]$pool.AutoStart }
        $after = [ordered]@{ state = $before['state']; auto_start = $before['auto_start'] }
        $state = Get-AgentArg $A 'state'
        $recycle = ($state -eq 'recycled')
        if ($recycle -and $before['state'] -ne 'Started') {
            throw (New-AgentError -Code 'precondition' -Text ('pool {0} is {1}: start it instead of recycling' -f $name, $before['state']))
        }
        if ($state -eq 'started') { $after['state'] = 'Started' }
        if ($state -eq 'stopped') { $after['state'] = 'Stopped' }
        $autoStart = Get-AgentArg $A 'auto_start'
        if ($null -ne $autoStart) { $after['auto_start'] = [bool]$autoStart }
        $changed = ($recycle -or $after['state'] -ne $before['state'] -or $after['auto_start'] -ne $before['auto_start'])
        if (-not $changed -or $script:Ctx.Check) { return (New-AgentEnsureResult -Changed $changed -Before $before -After $after) }
        $restoreState = 'started'
        if ($before['state'] -eq 'Stopped') { $restoreState = 'stopped' }
        $saved = Save-AgentBackupJson -Kind 'app_pool' -Source $name -Data $before -Restore ([ordered]@{ kind = 'app_pool_state'; args = [ordered]@{ name = $name; state = $restoreState; auto_start = $before['auto_start'] } })
        if ($after['auto_start'] -ne $before['auto_start']) {
            $pool.AutoStart = $after['auto_start']
            $sm.CommitChanges()
        }
        if ($recycle) {
            [void]$pool.Recycle()
            Wait-AgentPoolState -Pool $pool -Want 'Started'
        } elseif ($after['state'] -ne $before['state']) {
            if ($after['state'] -eq 'Started') { [void]$pool.Start() } else { [void]$pool.Stop() }
            Wait-AgentPoolState -Pool $pool -Want $after['state']
        }
        $after['state'] = Get-AgentObjectState -Item $pool
        return (New-AgentEnsureResult -Changed $true -Before $before -After $after -Backup $saved)
    } finally {
        $sm.Dispose()
    }
}
