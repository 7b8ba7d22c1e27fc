using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Pm.Protocol.Queue;

namespace Pm.Bench.Queue;

/// <summary>
/// Measures how many queue records per second one <see cref="QueueReader"/> consumes while W writer processes
/// write as fast as they can, and checks that none is lost, duplicated or reordered.
/// <code>
/// queuebench [--writers 8] [--records 500000] [--threads 1] [--runs 3]     records are per writer process
/// queuebench write --ipc DIR --id N --records M --threads T                (writer mode, started by the above)
/// queuebench codec                                                          (encode and decode cost, no kernel)
/// </code>
/// Writers start, print "ready", and wait for "go" on stdin, so process start-up is not measured. The clock runs
/// from "go" until the consumer has every record (or 120 s pass).
/// </summary>
public static class Program
{
    private const string AppPath = "/srv/bench app*/\u00fcml\u00e4ut/index.fcgi";

    private static int PipeFullWaitMs;

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "write")
        {
            return Writer(args);
        }

        if (args.Length > 0 && args[0] == "codec")
        {
            return Codec();
        }

        var writers = Option(args, "--writers", 8);
        var records = Option(args, "--records", 500_000);
        var threads = Option(args, "--threads", 1);
        var runs = Option(args, "--runs", 3);
        PipeFullWaitMs = Option(args, "--pipe-full-wait-ms", (int)new QueueWriterOptions().PipeFullWait.TotalMilliseconds);
        Console.WriteLine($"queuebench: {writers} writer processes x {threads} thread(s) x {records / threads * threads} records, PipeFullWait {PipeFullWaitMs} ms, {Environment.ProcessorCount} cpus");
        var failed = false;
        for (var run = 1; run <= runs; run++)
        {
            failed |= !Run(run, writers, records / threads, threads);
        }

        return failed ? 1 : 0;
    }

    private static bool Run(int run, int writers, int perThread, int threads)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"queuebench-{Environment.ProcessId}-{run}");
        var processes = new List<Process>();
        try
        {
            var reader = QueueReader.Start(dir); // creates the directory 0700
            var expected = (long)writers * threads * perThread;
            var next = new long[writers * threads];
            long received = 0, disorder = 0, foreign = 0, lastReceived = 0, go = 0;
            var all = new TaskCompletionSource();
            var consumer = Task.Run(async () =>
            {
                var channel = reader.Records;
                while (await channel.WaitToReadAsync())
                {
                    while (channel.TryRead(out var r))
                    {
                        // uid = writer, gid = thread, queue time = sequence number within that thread.
                        var source = (int)(r.Uid * (uint)threads + r.Gid);
                        if (r.Kind != QueueRecordKind.Complete || source >= next.Length || r.Path != AppPath)
                        {
                            foreign++;
                            continue;
                        }

                        if (r.QueueTimeMicroseconds != next[source])
                        {
                            disorder++;
                        }

                        next[source] = r.QueueTimeMicroseconds + 1;
                        if (Interlocked.Increment(ref received) == expected)
                        {
                            all.TrySetResult();
                        }
                    }

                    Volatile.Write(ref lastReceived, Stopwatch.GetTimestamp());
                }
            });

            var self = SelfCommand();
            for (var w = 0; w < writers; w++)
            {
                var psi = new ProcessStartInfo(self[0])
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                };
                foreach (var a in self.Skip(1).Concat(["write", "--ipc", dir, "--pipe-full-wait-ms", PipeFullWaitMs.ToString(CultureInfo.InvariantCulture), "--id", w.ToString(CultureInfo.InvariantCulture),
                             "--records", perThread.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture)]))
                {
                    psi.ArgumentList.Add(a);
                }

                processes.Add(Process.Start(psi)!);
            }

            foreach (var p in processes)
            {
                if (p.StandardOutput.ReadLine() != "ready")
                {
                    throw new InvalidOperationException("a writer did not start");
                }
            }

            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            go = Stopwatch.GetTimestamp();
            foreach (var p in processes)
            {
                p.StandardInput.WriteLine("go");
                p.StandardInput.Flush();
            }

            long sent = 0, spooled = 0, dropped = 0, writerCpuMs = 0;
            foreach (var p in processes)
            {
                var done = p.StandardOutput.ReadLine() ?? "";
                writerCpuMs += Field(done, "cpu_ms");
                p.WaitForExit(10_000);
                sent += Field(done, "sent");
                spooled += Field(done, "spooled");
                dropped += Field(done, "dropped");
            }

            // Dropped records never arrive (they count as lost): stop waiting once the rest are in.
            while (!all.Task.Wait(TimeSpan.FromMilliseconds(50)) && Volatile.Read(ref received) + dropped < expected
                   && clock.Elapsed < TimeSpan.FromSeconds(120))
            {
            }

            var finished = Volatile.Read(ref received) + dropped >= expected;
            var elapsed = Stopwatch.GetElapsedTime(go, Volatile.Read(ref lastReceived));
            var readerCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;

            reader.StopAsync().Wait(TimeSpan.FromSeconds(10));
            consumer.Wait(TimeSpan.FromSeconds(10));
            var c = reader.Counters;
            var lost = expected - received;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {run}: {received} of {expected} records in {elapsed.TotalSeconds:F3} s = {received / elapsed.TotalSeconds:N0} records/s consumed; " +
                $"lost {lost}, out of order {disorder}, foreign {foreign}; writers sent {sent} spooled {spooled} dropped {dropped}; " +
                $"reader replays {c.SpoolReplays} (lock busy {c.SpoolLockBusy}), skipped bytes {c.SkippedBytes}; cpu: reader process {readerCpu.TotalSeconds:F2} s, writers {writerCpuMs / 1000.0:F2} s{(finished ? "" : " (TIMED OUT)")}"));
            return finished && lost == 0 && disorder == 0 && foreign == 0 && dropped == 0;
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    p.WaitForExit();
                }

                p.Dispose();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static int Writer(string[] args)
    {
        var ipc = args[Array.IndexOf(args, "--ipc") + 1];
        var id = uint.Parse(args[Array.IndexOf(args, "--id") + 1], CultureInfo.InvariantCulture);
        var records = Option(args, "--records", 0);
        var threads = Option(args, "--threads", 1);
        using var writer = QueueWriter.Open(ipc, new QueueWriterOptions
        {
            PipeFullWait = TimeSpan.FromMilliseconds(Option(args, "--pipe-full-wait-ms", 10)),
            Failed = f => Console.Error.WriteLine($"writer {id}: {f.Message}"),
        });
        Console.WriteLine("ready");
        if (Console.ReadLine() != "go")
        {
            return 2;
        }

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var queued = TimeSpan.Zero;
            for (var seq = 0; seq < records; seq++)
            {
                writer.Write(QueueRecord.Complete(AppPath, id, (uint)t, DateTimeOffset.UtcNow, TimeSpan.FromMicroseconds(seq), TimeSpan.FromMicroseconds(42)));
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        var c = writer.Counters;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        Console.WriteLine($"done sent={c.Sent} spooled={c.Spooled} dropped={c.Dropped} cpu_ms={(long)cpu.TotalMilliseconds}");
        return 0;
    }

    // In-process costs without the kernel: building and encoding a record, and decoding a 64 KiB read's worth.
    private static int Codec()
    {
        const int n = 2_000_000;
        var buffer = new byte[QueueRecordCodec.MaxRecordBytes];
        var length = 0;
        for (var round = 0; round < 2; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                length = QueueRecordCodec.Encode(QueueRecord.Complete(AppPath, 1, 2, DateTimeOffset.UtcNow, TimeSpan.FromMicroseconds(i), TimeSpan.FromMicroseconds(42)), buffer);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"codec: create + encode {n / clock.Elapsed.TotalSeconds:N0} records/s ({clock.Elapsed.TotalNanoseconds / n:F0} ns each, {length} bytes)"));
        }

        var stream = new byte[length * 1000];
        for (var i = 0; i < 1000; i++)
        {
            Array.Copy(buffer, 0, stream, i * length, length);
        }

        var decoder = new QueueRecordDecoder(QueueSource.Fifo);
        for (var round = 0; round < 2; round++)
        {
            var clock = Stopwatch.StartNew();
            long decoded = 0;
            for (var i = 0; i < n / 1000; i++)
            {
                var sequence = new System.Buffers.ReadOnlySequence<byte>(stream);
                while (decoder.TryDecode(ref sequence, isFinal: false, out _))
                {
                    decoded++;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"codec: decode {decoded / clock.Elapsed.TotalSeconds:N0} records/s ({clock.Elapsed.TotalNanoseconds / decoded:F0} ns each)"));
        }

        return 0;
    }

    private static string[] SelfCommand()
    {
        var host = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [host, Assembly.GetEntryAssembly()!.Location]
            : [host];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static long Field(string line, string name)
    {
        var key = name + "=";
        var i = line.IndexOf(key, StringComparison.Ordinal);
        if (i < 0)
        {
            return 0;
        }

        var end = line.IndexOf(' ', i);
        return long.Parse(line.AsSpan(i + key.Length, (end < 0 ? line.Length : end) - i - key.Length), CultureInfo.InvariantCulture);
    }
}
