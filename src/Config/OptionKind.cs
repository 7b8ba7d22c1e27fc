namespace Pm.Config;

/// <summary>How an option's value is read.</summary>
public enum OptionKind
{
    /// <summary>No value: present means on.</summary>
    Flag,

    /// <summary>A whole number checked against the spec's bounds (mod_fastcgi's get_u_int / get_int).</summary>
    Integer,

    /// <summary>A decimal number checked against the spec's bounds (mod_fastcgi's get_float).</summary>
    Decimal,

    /// <summary>One word.</summary>
    Text,
}
