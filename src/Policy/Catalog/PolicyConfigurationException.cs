namespace Pm.Policy;

/// <summary>A policy name, parameter name or parameter value in the configuration is not acceptable.</summary>
public sealed class PolicyConfigurationException : Exception
{
    public PolicyConfigurationException(string message, string? parameterName = null)
        : base(message)
    {
        ParameterName = parameterName;
    }

    /// <summary>The offending parameter as the configuration spelled it; null when the problem is the policy name or a combination.</summary>
    public string? ParameterName { get; }
}
