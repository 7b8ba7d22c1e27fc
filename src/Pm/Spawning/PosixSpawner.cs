using System.Globalization;
using Pm.Posix;

namespace Pm.Spawning;

/// <summary>
/// Starts an instance with posix_spawn: its own process group, default signal dispositions and an empty mask,
/// the app's listening socket on fd 0, stdout and stderr on a pipe to the PM, the app's directory as working
/// directory, exactly the configured environment, and no other inherited descriptor. -priority is applied with
/// setpriority right after the spawn. A user or group switch goes through setpriv(1), which execs the app in
/// the same process, because posix_spawn cannot change credentials; a FastCgiWrapper is run as mod_fastcgi
/// runs it: wrapper user group basename. An app that counts requests also gets libpm-shim.so preloaded and its
/// <see cref="InstancePage"/> on fd 3 (see <see cref="ShimLibrary"/>).
/// </summary>
public sealed class PosixSpawner : ISpawner
{
    private const string SetPriv = "/usr/bin/setpriv";

    public SpawnedProcess Spawn(SpawnSpec spec, long requestLimit = 0)
    {
        var (path, argv) = CommandLine(spec);
        InstancePage? page = null;
        var environment = spec.Environment;
        List<(int From, int To)> descriptors = [(spec.ListenDescriptor, 0)];
        if (spec.CountsRequests && ShimLibrary.Path is { } shim)
        {
            page = InstancePage.Create();
            page.Limit = requestLimit;
            environment = ShimLibrary.Environment(environment, shim);
        }

        int readFd, writeFd;
        try
        {
            (readFd, writeFd) = Pipe.CreateWithNonBlockingReadEnd();
        }
        catch
        {
            page?.Dispose();
            throw;
        }

        descriptors.Add((writeFd, 1));
        descriptors.Add((writeFd, 2));
        if (page is not null)
        {
            descriptors.Add((page.Descriptor, InstancePage.ChildDescriptor));
        }

        descriptors.AddRange(spec.ExtraDescriptors);

        int pid;
        try
        {
            pid = PosixSpawn.Start(new SpawnOptions
            {
                Path = path,
                Arguments = argv,
                Environment = environment,
                WorkingDirectory = spec.WorkingDirectory,
                Descriptors = descriptors,
                NewProcessGroup = true,
                ResetSignals = true,
                CloseOtherDescriptors = true,
            });
        }
        catch
        {
            page?.Dispose();
            FileDescriptor.Close(readFd);
            FileDescriptor.Close(writeFd);
            throw;
        }

        page?.CloseDescriptor();
        FileDescriptor.Close(writeFd);
        int pidfd;
        try
        {
            pidfd = PidFd.Open(pid);
        }
        catch
        {
            FileDescriptor.Close(readFd);
            page?.Dispose();
            ChildProcess.SignalProcess(pid, Signals.SIGKILL);
            throw;
        }

        if (spec.Priority != 0)
        {
            try
            {
                ChildProcess.SetNice(pid, spec.Priority);
            }
            catch (PosixException)
            {
                // The child may already have exited; its exit is reported through the pidfd.
            }
        }

        return new SpawnedProcess(pid, pidfd, readFd, page);
    }

    private static (string Path, IReadOnlyList<string> Argv) CommandLine(SpawnSpec spec)
    {
        if (spec.Wrapper is { } wrapper)
        {
            var user = spec.RunAs?.UserName ?? "#" + Identity.EffectiveUserId.ToString(CultureInfo.InvariantCulture);
            var group = spec.RunAs?.GroupName ?? "#" + Identity.EffectiveGroupId.ToString(CultureInfo.InvariantCulture);
            return (wrapper, [wrapper, user, group, Path.GetFileName(spec.Executable), .. spec.Arguments]);
        }

        if (spec.RunAs is { } who && (who.Uid != Identity.EffectiveUserId || who.Gid != Identity.EffectiveGroupId))
        {
            return (SetPriv, [
                SetPriv,
                "--reuid=" + who.Uid.ToString(CultureInfo.InvariantCulture),
                "--regid=" + who.Gid.ToString(CultureInfo.InvariantCulture),
                "--init-groups",
                "--", spec.Executable, .. spec.Arguments]);
        }

        return (spec.Executable, [spec.Executable, .. spec.Arguments]);
    }
}
