using Pm.Config;

namespace Pm.Cli;

/// <summary>Loads a config for a command, printing every error to stderr if it has any.</summary>
public static class ConfigLoader
{
    public static PmConfig? Load(string path)
    {
        try
        {
            return PmConfig.Load(path);
        }
        catch (ConfigException ex)
        {
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"pm: {ex.Errors.Count} error{(ex.Errors.Count == 1 ? "" : "s")} in {path}; nothing was started");
            return null;
        }
    }
}
