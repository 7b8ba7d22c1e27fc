using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>ABORT_REQUEST from the client's cancellation, and what it leaves behind.</summary>
public class ClientServerAbortTests
{
    /// <summary>A handler that writes a first line, then waits until the request is aborted.</summary>
    private sealed class WaitForAbort
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<int> HandleAsync(FastCgiServerRequest request)
        {
            if (request.Params.ContainsName("QUICK"))
            {
                await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes("quick"));
                return 0;
            }

            await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes("first\n"));
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, request.Aborted);
            }
            catch (OperationCanceledException)
            {
                Aborted.TrySetResult();
                throw;
            }

            return 0;
        }
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task CancellingTheToken_AbortsTheHandler_AndTheConnectionServesTheNextRequest()
    {
        var handler = new WaitForAbort();
        await using var server = ServerHarness.Start(handler.HandleAsync);
        await using var connection = await server.ConnectAsync();
        using var cancel = new CancellationTokenSource();

        await using (var request = await connection.BeginRequestAsync(TestHandlers.Params(), cancellationToken: cancel.Token))
        {
            await handler.Entered.Task.WaitAsync(TestTimeouts.Operation);
            cancel.Cancel();

            await handler.Aborted.Task.WaitAsync(TestTimeouts.Operation);
            var completion = async () => await request.Completion;
            await completion.Should().ThrowAsync<OperationCanceledException>();
            var reading = async () => await Streams.ReadAllAsync(request.Output);
            await reading.Should().ThrowAsync<OperationCanceledException>("the output ends with the abort once the application acknowledged it");
            await request.Released.WaitAsync(TestTimeouts.Operation);
        }

        connection.CanBeginRequest.Should().BeTrue();

        await using var next = await connection.BeginRequestAsync(TestHandlers.Params(("QUICK", "1")));
        (await Streams.ReadAllTextAsync(next.Output)).Should().Be("quick");
        next.RequestId.Should().Be(1, "the aborted request's id was released once its END_REQUEST arrived");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task DisposingARequestBeforeItsEnd_AbortsIt()
    {
        var handler = new WaitForAbort();
        await using var server = ServerHarness.Start(handler.HandleAsync);
        await using var connection = await server.ConnectAsync();

        var request = await connection.BeginRequestAsync(TestHandlers.Params());
        var first = await request.Output.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        Encoding.ASCII.GetString(first.Buffer).Should().Be("first\n");
        request.Output.AdvanceTo(first.Buffer.End);
        await request.DisposeAsync();

        await handler.Aborted.Task.WaitAsync(TestTimeouts.Operation);
        await request.Released.WaitAsync(TestTimeouts.Operation);
        await using var next = await connection.BeginRequestAsync(TestHandlers.Params(("QUICK", "1")));
        (await Streams.ReadAllTextAsync(next.Output)).Should().Be("quick");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task CancellingDuringAnEndlessUpload_StopsTheUploadAndAbortsTheHandler()
    {
        var readSome = new TaskCompletionSource();
        var aborted = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            try
            {
                while (true)
                {
                    var result = await request.Stdin.ReadAsync(request.Aborted);
                    request.Stdin.AdvanceTo(result.Buffer.End);
                    readSome.TrySetResult();
                    if (result.IsCompleted)
                    {
                        return 0;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                aborted.SetResult();
                throw;
            }
        });
        await using var connection = await server.ConnectAsync();
        using var cancel = new CancellationTokenSource();
        var body = new Pipe();
        var uploading = Task.Run(async () =>
        {
            // Endless body: only the abort stops it (the writer sees the reader go away or gives up when cancelled).
            var chunk = new byte[8192];
            while (!cancel.IsCancellationRequested)
            {
                var flush = await body.Writer.WriteAsync(chunk);
                if (flush.IsCompleted)
                {
                    break;
                }
            }
        });

        await using (var request = await connection.BeginRequestAsync(TestHandlers.Params(), body.Reader, cancel.Token))
        {
            await readSome.Task.WaitAsync(TestTimeouts.Operation);
            cancel.Cancel();
            await aborted.Task.WaitAsync(TestTimeouts.Operation);
            await request.Released.WaitAsync(TestTimeouts.Operation);
        }

        await body.Reader.CompleteAsync();
        await uploading.WaitAsync(TestTimeouts.Operation);
        await using var next = await connection.BeginRequestAsync(TestHandlers.Params());
        (await next.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task BodySourceFailing_AbortsTheRequestWithThatError()
    {
        var aborted = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            try
            {
                await TestHandlers.CountAsync(request.Stdin).WaitAsync(request.Aborted);
            }
            catch (OperationCanceledException)
            {
                aborted.SetResult();
            }

            return 0;
        });
        await using var connection = await server.ConnectAsync();
        var body = new Pipe();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(), body.Reader);
        await body.Writer.WriteAsync(new byte[100]);
        await body.Writer.CompleteAsync(new IOException("the HTTP client went away"));

        var completion = async () => await request.Completion.WaitAsync(TestTimeouts.Operation);
        (await completion.Should().ThrowAsync<IOException>()).Which.Message.Should().Be("the HTTP client went away");
        await aborted.Task.WaitAsync(TestTimeouts.Operation);
    }
}
