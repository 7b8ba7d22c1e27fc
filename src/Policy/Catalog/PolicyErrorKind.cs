namespace Pm.Policy;

/// <summary>What kind of mistake a <see cref="PolicyConfigurationException"/> reports, so callers decide on facts, not on message text.</summary>
public enum PolicyErrorKind
{
    /// <summary>The policy name is not in the catalog.</summary>
    UnknownPolicy,

    /// <summary>The chosen policy has no parameter of that name.</summary>
    UnknownParameter,

    /// <summary>The same parameter is given twice (names are case-insensitive and ignore dashes and underscores).</summary>
    DuplicateParameter,

    /// <summary>A value does not parse, or the parsed settings fail validation (out of range, or against another parameter).</summary>
    InvalidValue,

    /// <summary>The text giving the policy and its parameters is not in the expected form (e.g. not parameter=value).</summary>
    Malformed,
}
