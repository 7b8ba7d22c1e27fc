namespace Pm.Bench.Peers;

/// <summary>
/// Rows 1–3: fresh starts of each stack, round-robin (so a slow moment of the machine is spread over all of them):
/// exec of the stack's first process → the first HTTP answer of any status on its port (a GET of a path no app
/// serves, repeated every 2 ms while the connect is refused) = "listens"; then at once one GET of the app over a new
/// connection = "first request", and a second = "next". Medians over the rounds.
/// </summary>
public static class StartRows
{
    public const string ProbePath = "/pm-bench-probe";

    private sealed record Starts(StackRecipe Recipe, int Column, bool Dynamic)
    {
        public List<double> Listens { get; } = [];

        public List<double> First { get; } = [];

        public List<double> Next { get; } = [];

        public List<int> BadStatus { get; } = [];
    }

    public static async Task RunAsync(PeerSetup setup, PeersAvailable peers, PeerTable table, int rounds, CancellationToken cancel)
    {
        var all = new List<Starts>
        {
            new(setup.PmServeStatic(web: null), PeerTable.Pm, Dynamic: false),
            new(setup.PmServeDynamic(web: null), PeerTable.Pm, Dynamic: true),
        };
        if (peers.Nginx)
        {
            all.Add(new(setup.NginxOnPmRunPool(), PeerTable.Nginx, Dynamic: false));
        }

        if (peers.ApacheFcgid)
        {
            all.Add(new(setup.ApacheFcgid(), PeerTable.Fcgid, Dynamic: true));
        }

        if (peers.PhpFpm && peers.Nginx)
        {
            all.Add(new(setup.PhpFpmOndemand(), PeerTable.PhpFpm, Dynamic: true));
        }

        for (var round = 1; round <= rounds; round++)
        {
            Console.Error.WriteLine($"peers: starts, round {round}/{rounds}");
            foreach (var starts in all)
            {
                await using var stack = await Stack.StartAsync(starts.Recipe, setup.Logs, cancel);
                await HttpProbe.WaitAnswerAsync(stack.Port, ProbePath, TimeSpan.FromSeconds(30), cancel);
                starts.Listens.Add(stack.MillisecondsSinceExec);
                var first = await HttpProbe.GetAsync(stack.Port, starts.Recipe.AppPath, cancel);
                var next = await HttpProbe.GetAsync(stack.Port, starts.Recipe.AppPath, cancel);
                starts.First.Add(first.Milliseconds);
                starts.Next.Add(next.Milliseconds);
                starts.BadStatus.AddRange(new[] { first.Status, next.Status }.Where(s => s != 200));
            }
        }

        Starts? Find(int column, bool dynamic) => all.FirstOrDefault(s => s.Column == column && s.Dynamic == dynamic);
        var pmStatic = Find(PeerTable.Pm, false)!;
        var pmDynamic = Find(PeerTable.Pm, true)!;
        var nginx = Find(PeerTable.Nginx, false);
        var fcgid = Find(PeerTable.Fcgid, true);
        var php = Find(PeerTable.PhpFpm, true);

        string Cell(Starts? s, int column, Func<Starts, List<double>> figure, bool withNext = false) => s is null ? peers.Missing(column) : PeerTable.Spread(figure(s))
            + (withNext ? $"; next {PeerTable.Ms(PeerTable.Median(s.Next))}" : "")
            + (s.BadStatus.Count > 0 ? $"; non-200: {string.Join(",", s.BadStatus.Distinct())} ×{s.BadStatus.Count}" : "");
        string Ratios(Starts ours, Func<Starts, List<double>> figure, params (string Name, Starts? Peer)[] of) => string.Join(", ",
            of.Where(p => p.Peer is not null).Select(p => $"/{p.Name} {PeerTable.Ratio(PeerTable.Median(figure(ours)), PeerTable.Median(figure(p.Peer!)))}"));

        table.Add("1. start of the stack until it listens, ms", [
                Cell(pmStatic, PeerTable.Pm, s => s.Listens) + $" (dynamic-only config: {PeerTable.Ms(PeerTable.Median(pmDynamic.Listens))})",
                Cell(nginx, PeerTable.Nginx, s => s.Listens),
                Cell(fcgid, PeerTable.Fcgid, s => s.Listens),
                Cell(php, PeerTable.PhpFpm, s => s.Listens)],
            Ratios(pmStatic, s => s.Listens, ("nginx", nginx), ("fcgid", fcgid), ("php-fpm", php)),
            $"exec of the stack → first HTTP answer (any status; GET {ProbePath} every 2 ms while refused); median [min–max] of {rounds} fresh starts. " +
            $"pm: `pm serve` {pmStatic.Recipe.Files} (8 static hello-c; the dynamic-only config {pmDynamic.Recipe.Files} in brackets). " +
            "nginx: exec of `pm run` on the same pool config, its socket awaited, then nginx (1 worker) exec'd: the figure covers both. " +
            "mod_fcgid: apache2 -DFOREGROUND. php-fpm: exec of php-fpm, its socket awaited, then nginx (1 worker).");
        table.Add("2. first request after start, prestarted app, ms", [
                Cell(pmStatic, PeerTable.Pm, s => s.First, withNext: true),
                Cell(nginx, PeerTable.Nginx, s => s.First, withNext: true), null, null],
            Ratios(pmStatic, s => s.First, ("nginx", nginx)),
            "right after the stack listens: GET of the static hello-c app (/hello) over a new connection, connect to last byte; " +
            "`next` = the second request, likewise. The 8 instances may still be starting: that wait is part of it.");
        table.Add("3. first request after start, dynamic app, ms", [
                Cell(pmDynamic, PeerTable.Pm, s => s.First, withNext: true), null,
                Cell(fcgid, PeerTable.Fcgid, s => s.First, withNext: true),
                Cell(php, PeerTable.PhpFpm, s => s.First, withNext: true)],
            Ratios(pmDynamic, s => s.First, ("fcgid", fcgid), ("php-fpm", php)),
            $"right after the stack listens: GET of an app no process runs yet. pm: /fcgi-bin/hello.fcgi under PmDynamicRoot (demand policy, defaults), {pmDynamic.Recipe.Files}. " +
            $"mod_fcgid: the same hello-c binary as /fcgi-bin/hello.fcgi, SetHandler fcgid-script, {fcgid?.Recipe.Files}. " +
            $"php-fpm runs only PHP: hello.php (echo with getmypid()) on pm = ondemand, {php?.Recipe.Files}.");
    }
}
