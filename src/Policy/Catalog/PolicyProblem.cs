namespace Pm.Policy;

/// <summary>
/// One reason a policy's settings are unusable, from the options' Validate(): the parameter at fault, by the name
/// the catalog reads it under, and a message that starts with that name and says what is wrong.
/// </summary>
public sealed record PolicyProblem(string Parameter, string Message)
{
    public override string ToString() => Message;
}
