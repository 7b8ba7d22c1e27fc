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
}
