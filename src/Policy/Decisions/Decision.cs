namespace Pm.Policy;

/// <summary>An action a policy asks the PM to take.</summary>
/// <param name="AppId">The app it concerns.</param>
/// <param name="Reason">A sentence a user understands, with the numbers that drove it; the PM logs it.</param>
public abstract record Decision(string AppId, string Reason);
