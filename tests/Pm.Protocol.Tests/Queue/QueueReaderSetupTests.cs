using Pm.Posix;
using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;

namespace Pm.Protocol.Tests.Queue;

/// <summary>File creation, ownership and mode checks when the reader starts.</summary>
public class QueueReaderSetupTests : IDisposable
{
    private readonly TempIpcDirectory _ipc = new();

    public void Dispose() => _ipc.Dispose();

    [Fact]
    public async Task Start_FreshDirectory_CreatesFifoAndSpoolForTheOwnerOnly()
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        Stat(_ipc.Path).Should().Match<FileStatus>(s => s.Kind == FileKind.Directory && s.Permissions == Convert.ToUInt32("700", 8));
        Stat(_ipc.Fifo).Should().Match<FileStatus>(s => s.Kind == FileKind.Fifo && s.Permissions == Convert.ToUInt32("600", 8));
        Stat(_ipc.Spool).Should().Match<FileStatus>(s => s.Kind == FileKind.RegularFile && s.Permissions == Convert.ToUInt32("600", 8));
        Stat(_ipc.Fifo).OwnerId.Should().Be(Identity.EffectiveUserId);
    }

    [Fact]
    public async Task Start_WithWriterGroup_GivesTheGroupWriteButNotRead()
    {
        // Only root may give files to a group it is not in; others use their own group.
        var group = Identity.IsRoot ? 4242u : Identity.EffectiveGroupId;

        await using (QueueReader.Start(_ipc.Path, new QueueReaderOptions { Access = QueueAccess.Group(group) }))
        {
        }

        Stat(_ipc.Path).Should().Match<FileStatus>(s => s.GroupId == group && s.Permissions == Convert.ToUInt32("710", 8));
        Stat(_ipc.Fifo).Should().Match<FileStatus>(s => s.GroupId == group && s.Permissions == Convert.ToUInt32("620", 8));
        Stat(_ipc.Spool).Should().Match<FileStatus>(s => s.GroupId == group && s.Permissions == Convert.ToUInt32("620", 8));
    }

    [Fact]
    public async Task Start_AfterAccessChangedToOwnerOnly_TightensTheModes()
    {
        await using (QueueReader.Start(_ipc.Path, new QueueReaderOptions { Access = QueueAccess.Group(Identity.EffectiveGroupId) }))
        {
        }

        await using (QueueReader.Start(_ipc.Path))
        {
        }

        Stat(_ipc.Fifo).Permissions.Should().Be(Convert.ToUInt32("600", 8));
        Stat(_ipc.Spool).Permissions.Should().Be(Convert.ToUInt32("600", 8));
    }

    [RootFact]
    public async Task Start_SpoolOwnedBySomeoneElse_RefusesNamingFileAndOwner()
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        Shell.Run("chown", "65534", _ipc.Spool);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>()
            .Where(e => e.Path == _ipc.Spool)
            .WithMessage("*belongs to uid 65534*");
    }

    [RootFact]
    public void Start_DirectoryOwnedBySomeoneElse_Refuses()
    {
        Directory.CreateDirectory(_ipc.Path);
        Shell.Run("chmod", "700", _ipc.Path);
        Shell.Run("chown", "65534", _ipc.Path);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>().Where(e => e.Path == _ipc.Path).WithMessage("*uid 65534*");
    }

    [Theory]
    [InlineData("666")]
    [InlineData("602")]
    [InlineData("604")]
    [InlineData("4600")]
    public async Task Start_FifoGrantingAccessToOthers_Refuses(string mode)
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        Shell.Run("chmod", mode, _ipc.Fifo);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>().Where(e => e.Path == _ipc.Fifo).WithMessage("*grants access to others*");
    }

    [Fact]
    public async Task Start_GroupWritableDirectory_Refuses()
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        Shell.Run("chmod", "770", _ipc.Path);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>().Where(e => e.Path == _ipc.Path).WithMessage("*writable by group or others*");
    }

    [Fact]
    public async Task Start_SpoolIsASymbolicLink_Refuses()
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        var target = _ipc.Path + ".elsewhere";
        File.WriteAllText(target, "");
        File.Delete(_ipc.Spool);
        File.CreateSymbolicLink(_ipc.Spool, target);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>().Where(e => e.Path == _ipc.Spool).WithMessage("*symbolic link*");
    }

    [Fact]
    public async Task Start_FifoReplacedByARegularFile_Refuses()
    {
        await using (QueueReader.Start(_ipc.Path))
        {
        }

        File.Delete(_ipc.Fifo);
        File.WriteAllText(_ipc.Fifo, "not a fifo");
        Shell.Run("chmod", "600", _ipc.Fifo);

        var act = () => QueueReader.Start(_ipc.Path);

        act.Should().Throw<QueueSetupException>().Where(e => e.Path == _ipc.Fifo).WithMessage("*RegularFile, expected a Fifo*");
    }

    private static FileStatus Stat(string path) => PosixFile.StatPathNoFollow(path) ?? throw new FileNotFoundException(path);
}
