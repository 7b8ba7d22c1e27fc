namespace Pm.Config;

/// <summary>How the config parser reads one directive: in which pass, and with which of its methods.</summary>
internal sealed record DirectiveHandler(DirectivePass Pass, Action<ConfigParser, Directive> Read);
