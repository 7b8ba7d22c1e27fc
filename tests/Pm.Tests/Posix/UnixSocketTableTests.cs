using System.Net.Sockets;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Posix;

/// <summary>The sock_diag reader against the real kernel: accept queues, accepted connections and peers.</summary>
public sealed class UnixSocketTableTests
{
    [Fact]
    public void Read_ListenerWithQueuedAndAcceptedConnections_CountsTheQueueAndGivesTheAcceptedOnesPathAndPeer()
    {
        using var dir = new TestDirectory();
        var path = dir.File("s");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(10);
        var clients = Enumerable.Range(0, 3).Select(_ => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)).ToList();
        try
        {
            foreach (var c in clients)
            {
                c.Connect(new UnixDomainSocketEndPoint(path));
            }

            var paths = new HashSet<string> { path };
            var before = UnixSocketTable.Read(paths);
            before.Should().ContainSingle(e => e.State == UnixSocketTable.StateListen).Which.ReceiveQueue.Should().Be(3);

            using var accepted = listener.Accept();
            var after = UnixSocketTable.Read(paths);
            after.Single(e => e.State == UnixSocketTable.StateListen).ReceiveQueue.Should().Be(2);
            var server = after.Should().ContainSingle(e => e.State == UnixSocketTable.StateEstablished).Subject;
            server.Inode.Should().Be(UnixSocketTable.InodeOf((int)accepted.Handle));
            clients.Select(c => UnixSocketTable.InodeOf((int)c.Handle)).Should().Contain(server.PeerInode);
            UnixSocketTable.SocketInodesOf(Environment.ProcessId).Should().Contain(server.Inode);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void WaitsForAccept_IsTrueWhileTheConnectionIsInTheQueue_AndFalseOnceAccepted()
    {
        using var dir = new TestDirectory();
        var path = dir.File("s");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(10);
        using var first = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var second = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        first.Connect(new UnixDomainSocketEndPoint(path));
        second.Connect(new UnixDomainSocketEndPoint(path));
        var paths = new HashSet<string> { path };
        var firstInode = UnixSocketTable.InodeOf((int)first.Handle);
        var secondInode = UnixSocketTable.InodeOf((int)second.Handle);

        UnixSocketTable.WaitsForAccept(firstInode, paths).Should().BeTrue();
        UnixSocketTable.WaitsForAccept(secondInode, paths).Should().BeTrue();
        using var accepted = listener.Accept();

        UnixSocketTable.WaitsForAccept(firstInode, paths).Should().BeFalse("the queue is first in, first out");
        UnixSocketTable.WaitsForAccept(secondInode, paths).Should().BeTrue();
        UnixSocketTable.WaitsForAccept(secondInode, new HashSet<string> { dir.File("none") }).Should().BeNull("no listener is bound there");
    }

    [Fact]
    public void SocketInodesOf_ManyDescriptors_FindsEverySocket_AcrossSeveralDirectoryReads()
    {
        // 300 socket pairs: 600 descriptors, more than one getdents64 buffer holds.
        using var dir = new TestDirectory();
        var pairs = Enumerable.Range(0, 300).Select(i => SocketPair(dir.File($"s{i}"))).ToList();
        try
        {
            var found = UnixSocketTable.SocketInodesOf(Environment.ProcessId).ToHashSet();
            pairs.SelectMany(p => new[] { p.A, p.B }).Select(s => UnixSocketTable.InodeOf((int)s.Handle)).Should().OnlyContain(i => found.Contains(i));
        }
        finally
        {
            pairs.ForEach(p => { p.A.Dispose(); p.B.Dispose(); });
        }
    }

    [Fact]
    public void SocketInodesOf_AProcessThatIsGone_IsEmpty()
    {
        UnixSocketTable.SocketInodesOf(int.MaxValue).Should().BeEmpty();
    }

    [Theory]
    [InlineData("socket:[4026]", 4026u)]
    [InlineData("socket:[0]", 0u)]
    [InlineData("socket:[]", null)]
    [InlineData("socket:[12x]", null)]
    [InlineData("socket:[12", null)]
    [InlineData("pipe:[12]", null)]
    [InlineData("socket:[+5]", null)]
    [InlineData("socket:[ 5]", null)]
    [InlineData("/dev/null", null)]
    [InlineData("socket:[99999999999]", null)]
    public void SocketInode_ReadsOnlySocketLinks(string target, uint? expected)
    {
        UnixSocketTable.SocketInode(System.Text.Encoding.ASCII.GetBytes(target)).Should().Be(expected);
        UnixSocketTable.SocketInode(target).Should().Be(expected, "the string form reads the same");
    }

    private static (Socket A, Socket B) SocketPair(string path)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var a = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        a.Connect(new UnixDomainSocketEndPoint(path));
        return (a, listener.Accept());
    }
}
