using System.Globalization;

namespace Pm.Diagnosis;

/// <summary>
/// /proc/PID/syscall: "running", or the number of the syscall the task is blocked in, its six arguments, then the
/// stack and instruction pointers; "-1 ..." when it is blocked outside a syscall. Readable by the process's owner
/// (ptrace access), so by the PM for its instances.
/// </summary>
public static class SyscallState
{
    /// <summary>The text in words: "read(0x3, 0x7ffc..., 0x2000)", "running", "not in a syscall"; null if unreadable.</summary>
    public static string? Describe(string text)
    {
        var fields = text.Trim().Split(' ');
        if (fields.Length == 0 || fields[0].Length == 0)
        {
            return null;
        }

        if (fields[0] == "running")
        {
            return "running (on a CPU, not in a syscall)";
        }

        if (!int.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        if (number < 0)
        {
            return "not in a syscall";
        }

        var args = fields.Skip(1).Take(3).ToArray();
        return $"{SyscallNames.Name(number)}({string.Join(", ", args)})";
    }

    public static string Read(string path)
    {
        try
        {
            return Describe(File.ReadAllText(path)) ?? "unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "not readable";
        }
    }
}
