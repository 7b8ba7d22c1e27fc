namespace Pm.Policy;

/// <summary>
/// A policy name, parameter name or parameter value in the configuration is not acceptable. <see cref="Kind"/> and
/// <see cref="ParameterName"/> are set where the mistake is found; the message is for people only.
/// </summary>
public sealed class PolicyConfigurationException : Exception
{
    public PolicyConfigurationException(PolicyErrorKind kind, string message, string? parameterName = null)
        : base(message)
    {
        Kind = kind;
        ParameterName = parameterName;
    }

    public PolicyErrorKind Kind { get; }

    /// <summary>The offending parameter as the configuration spelled it; null when the problem is the policy name or the text's form.</summary>
    public string? ParameterName { get; }
}
