using System.Diagnostics;
using Pm.Protocol.Queue;

namespace Pm.QueueWriterTool;

/// <summary>
/// Writes numbered records to the queue so a test can check that every one arrives once, whole and in order.
/// <code>
/// pm-queuewriter --ipc DIR --id N [--threads T] [--count M | --until-stop] [--rate R]
/// </code>
/// Each thread t writes records 0, 1, 2 ... whose path is <c>QueueSequence.Path(id, t, seq)</c>; kinds cycle
/// through S, T, C, R. <c>--count</c> is per thread; <c>--until-stop</c> writes until stdin says "stop" (or closes).
/// <c>--rate</c> is records per second per thread (default: as fast as possible).
/// Prints "ready", "mode &lt;Mode&gt;" on each mode change, "failed &lt;message&gt;" on failures, and finally
/// "done sent=S spooled=P dropped=D last=n0,n1,..." (records written per thread).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? ipc = null;
        int id = 0, threads = 1;
        long count = -1;
        double rate = 0;
        var untilStop = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--ipc": ipc = args[++i]; break;
                case "--id": id = int.Parse(args[++i]); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--count": count = long.Parse(args[++i]); break;
                case "--rate": rate = double.Parse(args[++i]); break;
                case "--until-stop": untilStop = true; break;
                default:
                    Console.Error.WriteLine($"pm-queuewriter: unknown argument {args[i]}");
                    return 2;
            }
        }

        if (ipc is null || (count < 0) == !untilStop)
        {
            Console.Error.WriteLine("usage: pm-queuewriter --ipc DIR --id N [--threads T] (--count M | --until-stop) [--rate R]");
            return 2;
        }

        using var writer = QueueWriter.Open(ipc, new QueueWriterOptions
        {
            Failed = f => Console.Out.WriteLine($"failed {f.Message}"),
            ModeChanged = m => Console.Out.WriteLine($"mode {m}"),
        });

        var stop = new ManualResetEventSlim(false);
        if (untilStop)
        {
            var stdin = new Thread(() =>
            {
                string? line;
                while ((line = Console.In.ReadLine()) is not null && line.Trim() != "stop")
                {
                }

                stop.Set();
            }) { IsBackground = true };
            stdin.Start();
        }

        var written = new long[threads];
        var workers = new Thread[threads];
        Console.Out.WriteLine("ready");
        for (var t = 0; t < threads; t++)
        {
            var thread = t;
            workers[t] = new Thread(() => written[thread] = Run(writer, id, thread, count, rate, stop));
            workers[t].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        var c = writer.Counters;
        Console.Out.WriteLine($"done sent={c.Sent} spooled={c.Spooled} dropped={c.Dropped} last={string.Join(',', written)}");
        return 0;
    }

    private static long Run(QueueWriter writer, int id, int thread, long count, double rate, ManualResetEventSlim stop)
    {
        var clock = Stopwatch.StartNew();
        long seq = 0;
        for (; count < 0 ? !stop.IsSet : seq < count; seq++)
        {
            if (rate > 0)
            {
                // Pace to the rate; a test program may sleep.
                var due = TimeSpan.FromSeconds(seq / rate);
                while (clock.Elapsed < due && !stop.IsSet)
                {
                    Thread.Sleep(1);
                }
            }

            writer.Write(QueueSequence.Record(id, thread, seq, DateTimeOffset.UtcNow));
        }

        return seq;
    }
}
