namespace Pm.Config;

/// <summary>
/// The Apache httpd words Pm knows without acting on them: section names and what becomes of their lines, and the
/// directives of httpd's core and common modules that an httpd.conf pasted into Pm carries. Knowing them is what
/// lets an ignored Apache line be a notice while a misspelt one ("FastCgiServr", "Bogus") stays an error.
/// </summary>
internal static class ApacheVocabulary
{
    /// <summary>The handler names that mean "a FastCGI app": mod_fastcgi's and mod_fcgid's.</summary>
    public static bool IsFastCgiHandler(string handler) =>
        handler.Equals("fastcgi-script", StringComparison.OrdinalIgnoreCase) || handler.Equals("fcgid-script", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What the lines inside a section become, or null for a name Apache does not have. <c>&lt;IfModule
    /// !mod_fastcgi.c&gt;</c> holds what applies without mod_fastcgi, and Pm is mod_fastcgi, so it is skipped; every
    /// other &lt;IfModule&gt; is read through, as a server with every module would read it.
    /// </summary>
    public static (SectionRole Role, string? Why)? Classify(string name, IReadOnlyList<string> args)
    {
        var first = args.Count > 0 ? args[0] : "";
        var regex = first == "~";
        return name.ToLowerInvariant() switch
        {
            "ifmodule" when first.StartsWith('!') && IsModFastCgi(first[1..]) => (SectionRole.Skipped, "it holds what applies without mod_fastcgi, and Pm is mod_fastcgi"),
            "ifmodule" or "ifdefine" or "ifversion" or "iffile" or "ifdirective" or "ifsection" or "virtualhost" or "limit" or "limitexcept"
                or "requireall" or "requireany" or "requirenone" => (SectionRole.ReadThrough, null),
            "directory" or "location" when regex => (SectionRole.Skipped, "a regular expression names no one directory or URL prefix Pm could mount"),
            "directory" or "location" or "files" or "filesmatch" => (SectionRole.Scope, null),
            "directorymatch" or "locationmatch" => (SectionRole.Skipped, "a regular expression names no one directory or URL prefix Pm could mount"),
            "proxy" or "proxymatch" => (SectionRole.Skipped, "Pm proxies to FastCGI apps only"),
            "if" or "elseif" or "else" => (SectionRole.Skipped, "Pm evaluates no request-time conditions"),
            "macro" or "authnprovideralias" or "authzprovideralias" or "mdomain" or "mdomainset" => (SectionRole.Skipped, "Pm has no such feature"),
            _ => null,
        };
    }

    public static bool IsModFastCgi(string module) =>
        module.Equals("mod_fastcgi.c", StringComparison.OrdinalIgnoreCase) || module.Equals("fastcgi_module", StringComparison.OrdinalIgnoreCase) ||
        module.Equals("mod_fastcgi", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the name belongs to Pm's own set (mod_fastcgi's directives and Pm's): there an unknown name is a
    /// mistake, never an Apache line to pass over.
    /// </summary>
    public static bool IsPmsOwn(string name) =>
        name.StartsWith("FastCgi", StringComparison.OrdinalIgnoreCase) || name.StartsWith("FCGI", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("Pm", StringComparison.OrdinalIgnoreCase) || name.Equals("AppClass", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("ExternalAppClass", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why Pm passes over a known Apache directive, or null when the name is not Apache's.</summary>
    public static string? WhyIgnored(string name)
    {
        if (name.StartsWith("Fcgid", StringComparison.OrdinalIgnoreCase))
        {
            return "mod_fcgid's settings; Pm reads mod_fastcgi's (FastCgiServer, FastCgiConfig)";
        }

        if (name.StartsWith("SSL", StringComparison.OrdinalIgnoreCase))
        {
            return "Pm serves plain HTTP; terminate TLS in front of it";
        }

        if (name.StartsWith("Auth", StringComparison.OrdinalIgnoreCase) || AccessControl.Contains(name))
        {
            return "Pm enforces no access control: keep it in the web server in front of Pm";
        }

        if (name.StartsWith("Rewrite", StringComparison.OrdinalIgnoreCase))
        {
            return "Pm rewrites no URLs; mount the app where the rewrite sends it";
        }

        if (name.StartsWith("Proxy", StringComparison.OrdinalIgnoreCase))
        {
            return "Pm proxies to FastCGI apps only";
        }

        return Other.Contains(name) ? "it has no counterpart in Pm" : null;
    }

    private static readonly HashSet<string> AccessControl = new(StringComparer.OrdinalIgnoreCase)
    {
        "Order", "Allow", "Deny", "Require", "Satisfy", "AllowOverride", "AllowOverrideList", "AccessFileName", "Dav",
    };

    // httpd 2.2/2.4 core, the MPMs and the modules a FastCGI config of a Debian, Ubuntu or RHEL server carries.
    private static readonly HashSet<string> Other = new(StringComparer.OrdinalIgnoreCase)
    {
        // core and MPMs
        "AcceptFilter", "AcceptPathInfo", "AddDefaultCharset", "AddOutputFilter", "AddOutputFilterByType", "AddInputFilter",
        "CGIMapExtension", "CGIPassAuth", "ContentDigest", "DefaultType", "DefineSet", "Define", "EnableMMAP", "EnableSendfile", "Error",
        "ErrorDocument", "ErrorLog", "ErrorLogFormat", "FileETag", "HostnameLookups", "HttpProtocolOptions", "Include", "IncludeOptional",
        "KeepAlive", "KeepAliveTimeout", "LimitInternalRecursion", "LimitRequestBody", "LimitRequestFields", "LimitRequestFieldSize",
        "LimitRequestLine", "LimitXMLRequestBody", "Listen", "ListenBacklog", "LogLevel", "MaxKeepAliveRequests", "MaxRanges", "Mutex",
        "NameVirtualHost", "PidFile", "Protocols", "RLimitCPU", "RLimitMEM", "RLimitNPROC", "ServerAdmin", "ServerAlias", "ServerName",
        "ServerPath", "ServerRoot", "ServerSignature", "ServerTokens", "SetInputFilter", "SetOutputFilter", "TimeOut", "TraceEnable",
        "UseCanonicalName", "UseCanonicalPhysicalPort", "User", "Group", "LoadModule", "LoadFile", "StartServers", "MinSpareServers",
        "MaxSpareServers", "MaxClients", "MaxRequestWorkers", "MaxRequestsPerChild", "MaxConnectionsPerChild", "ServerLimit",
        "ThreadLimit", "ThreadsPerChild", "MinSpareThreads", "MaxSpareThreads", "MaxMemFree", "ScoreBoardFile", "GracefulShutdownTimeout",
        "LockFile", "DocumentRoot", "ExtendedStatus", "SuexecUserGroup", "Header", "RequestHeader", "UnsetEnv", "SetEnv", "PassEnv",
        "SetEnvIf", "SetEnvIfNoCase", "SetEnvIfExpr", "BrowserMatch", "BrowserMatchNoCase",
        // logging
        "CustomLog", "LogFormat", "TransferLog", "BufferedLogs", "CookieLog", "ForensicLog",
        // mod_alias, mod_dir, mod_autoindex, mod_negotiation, mod_mime
        "AliasMatch", "ScriptAliasMatch", "Redirect", "RedirectMatch", "RedirectPermanent", "RedirectTemp", "DirectoryIndex",
        "DirectorySlash", "DirectoryCheckHandler", "FallbackResource", "IndexOptions", "IndexIgnore", "IndexOrderDefault", "IndexStyleSheet",
        "HeaderName", "ReadmeName", "AddIcon", "AddIconByType", "AddIconByEncoding", "AddAlt", "AddAltByType", "AddAltByEncoding",
        "AddDescription", "DefaultIcon", "LanguagePriority", "ForceLanguagePriority", "AddLanguage", "AddCharset", "AddEncoding",
        "RemoveHandler", "RemoveType", "RemoveCharset", "RemoveEncoding", "RemoveLanguage", "ForceType", "TypesConfig", "MimeMagicFile",
        "MultiviewsMatch", "CacheNegotiatedDocs", "ModMimeUsePathInfo", "DefaultLanguage", "UserDir", "ScriptLog", "ScriptLogLength",
        "ScriptLogBuffer", "ScriptSock", "ScriptInterpreterSource", "XBitHack",
        // mod_expires, mod_deflate, mod_headers, mod_cache, mod_status, mod_info, mod_ssl's neighbours
        "ExpiresActive", "ExpiresByType", "ExpiresDefault", "DeflateCompressionLevel", "DeflateBufferSize", "DeflateMemLevel",
        "DeflateWindowSize", "DeflateFilterNote", "CacheEnable", "CacheDisable", "CacheRoot", "CacheDefaultExpire", "CacheMaxExpire",
        "CacheIgnoreNoLastMod", "CacheLock", "SecRuleEngine", "SecRequestBodyAccess", "KeepAliveTimeOut", "RemoteIPHeader",
        "RemoteIPInternalProxy", "RemoteIPTrustedProxy", "EnableExceptionHook", "Options", "php_value", "php_flag", "php_admin_value",
        "php_admin_flag", "PassengerEnabled", "WSGIScriptAlias", "WSGIDaemonProcess", "WSGIProcessGroup", "PerlModule", "PerlHandler",
        "PerlResponseHandler", "SetHandler", "AddHandler", "AddType", "Action", "Script", "Alias", "ScriptAlias",
    };
}
