namespace Pm.Config;

/// <summary>What the config parser does with the lines inside an Apache section.</summary>
public enum SectionRole
{
    /// <summary>Read as if the tags were not there (&lt;VirtualHost&gt;, &lt;IfModule&gt;, &lt;IfDefine&gt; ...).</summary>
    ReadThrough,

    /// <summary>A part of the file system or URL space the lines apply to (&lt;Directory&gt;, &lt;Location&gt;, &lt;Files&gt;).</summary>
    Scope,

    /// <summary>Not read: a scope Pm cannot map (a regex, a proxy, a request-time condition); one notice says so.</summary>
    Skipped,
}
