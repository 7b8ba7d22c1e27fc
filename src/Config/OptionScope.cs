namespace Pm.Config;

/// <summary>Which directives accept an option: S static, E external, D dynamic (FastCgiConfig), R PmDynamicRoot.</summary>
[Flags]
public enum OptionScope
{
    Static = 1,
    External = 2,
    Dynamic = 4,
    DynamicRoot = 8,
}
