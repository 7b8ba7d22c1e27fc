using System.Net;
using System.Net.Sockets;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi.Transport;

/// <summary>Pooled socket operations and the stream over them, on real sockets.</summary>
public sealed class SocketOperationTests
{
    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ManyRoundTrips_ReuseTheEventArgs_AndEveryByteArrivesInOrder()
    {
        var (left, right) = await SocketPair.CreateAsync();
        using var a = new SocketStream(left);
        using var b = new SocketStream(right);
        var buffer = new byte[64];
        for (var i = 0; i < 2000; i++)
        {
            // Each read is sometimes pending (issued before the write), sometimes complete at once (after it).
            var read = i % 2 == 0 ? b.ReadAsync(buffer) : default;
            await a.WriteAsync(BitConverter.GetBytes(i));
            var count = i % 2 == 0 ? await read.AsTask().WaitAsync(TestTimeouts.Operation) : await b.ReadAsync(buffer);
            count.Should().Be(4);
            BitConverter.ToInt32(buffer, 0).Should().Be(i);
        }

        left.Shutdown(SocketShutdown.Send);
        (await b.ReadAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation)).Should().Be(0, "the end of the stream reads as 0");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task LargeWrite_IsSentWhole()
    {
        var (left, right) = await SocketPair.CreateAsync();
        using var a = new SocketStream(left);
        using var b = new SocketStream(right);
        var data = Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7)).ToArray();
        var write = a.WriteAsync(data).AsTask();
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (received.Length < data.Length)
        {
            var n = await b.ReadAsync(buffer).AsTask().WaitAsync(TestTimeouts.Operation);
            n.Should().BePositive();
            received.Write(buffer, 0, n);
        }

        await write.WaitAsync(TestTimeouts.Operation);
        received.ToArray().Should().Equal(data);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task PendingRead_EndsWhenTheSocketIsClosed_AsCancelledWhenItsTokenWas_ElseAsAnIOException()
    {
        var (left, right) = await SocketPair.CreateAsync();
        using var _ = left;
        using var cancel = new CancellationTokenSource();
        var stream = new SocketStream(right);
        var cancelled = stream.ReadAsync(new byte[16], cancel.Token).AsTask();
        cancelled.IsCompleted.Should().BeFalse("nothing was sent");
        cancel.Cancel();
        cancelled.IsCompleted.Should().BeFalse("the token alone does not end a pending receive");
        right.Dispose();
        var act = async () => await cancelled.WaitAsync(TestTimeouts.Operation);
        await act.Should().ThrowAsync<OperationCanceledException>();

        var (other, third) = await SocketPair.CreateAsync();
        using var __ = other;
        var failed = new SocketStream(third).ReadAsync(new byte[16]).AsTask();
        failed.IsCompleted.Should().BeFalse("nothing was sent");
        third.Dispose();
        var fail = async () => await failed.WaitAsync(TestTimeouts.Operation);
        (await fail.Should().ThrowAsync<IOException>()).Which.InnerException.Should().BeOfType<SocketException>();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task CancelledToken_EndsAReadBeforeItStarts_AndLeavesTheSocketUsable()
    {
        var (left, right) = await SocketPair.CreateAsync();
        using var a = new SocketStream(left);
        using var b = new SocketStream(right);
        var act = async () => await b.ReadAsync(new byte[4], new CancellationToken(canceled: true));
        await act.Should().ThrowAsync<OperationCanceledException>();
        await a.WriteAsync(new byte[] { 1, 2, 3 });
        (await b.ReadAsync(new byte[4]).AsTask().WaitAsync(TestTimeouts.Operation)).Should().Be(3);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ConnectToNothing_FailsWithTheSocketError()
    {
        using var directory = new TempDirectory();
        var absent = new UnixDomainSocketEndPoint(directory.File("absent"));
        using var socket = FastCgiClientConnection.CreateSocket(absent);
        var act = async () => await FastCgiClientConnection.ConnectAsync(socket, absent, TimeSpan.FromSeconds(5), TimeProvider.System, default);
        (await act.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().BeOneOf(SocketError.AddressNotAvailable, SocketError.ConnectionRefused);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ConnectThatWaits_IsGivenUpAfterItsTimeout_OrWhenCancelled()
    {
        // A TCP listener that never accepts, with its queue full: the kernel drops the next SYN, so a connect waits.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var filling = new List<Socket>();
        try
        {
            // Each connect either completes or, once the queue is full, is given up by its own 300 ms timer.
            Socket? waiting = null;
            for (var i = 0; i < 16 && waiting is null; i++)
            {
                var socket = FastCgiClientConnection.CreateSocket(endPoint);
                try
                {
                    await FastCgiClientConnection.ConnectAsync(socket, endPoint, TimeSpan.FromMilliseconds(300), TimeProvider.System, default)
                        .AsTask().WaitAsync(TestTimeouts.Operation);
                    filling.Add(socket);
                }
                catch (TimeoutException e) when (e.Message.Contains("did not complete in time", StringComparison.Ordinal))
                {
                    socket.SafeHandle.IsClosed.Should().BeTrue("giving up closes the socket");
                    waiting = socket;
                }
            }

            waiting.Should().NotBeNull("the listener's queue filled within 16 connects");
            waiting!.Dispose();

            using var cancel = new CancellationTokenSource();
            using var another = FastCgiClientConnection.CreateSocket(endPoint);
            var cancelled = FastCgiClientConnection.ConnectAsync(another, endPoint, TimeSpan.Zero, TimeProvider.System, cancel.Token).AsTask();
            cancelled.IsCompleted.Should().BeFalse("the queue is full and there is no timer");
            cancel.Cancel();
            var stop = async () => await cancelled.WaitAsync(TestTimeouts.Operation);
            await stop.Should().ThrowAsync<OperationCanceledException>();
        }
        finally
        {
            filling.ForEach(s => s.Dispose());
        }
    }
}
