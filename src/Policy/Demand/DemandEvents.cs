namespace Pm.Policy;

/// <summary>What each event tells the demand policy about an app, recorded in its memory until the next evaluation.</summary>
internal static class DemandEvents
{
    public static void Apply(DemandApp app, PolicyEvent ev, DemandPolicyOptions options, Random random)
    {
        switch (ev)
        {
            case StartRequested:
                // S means "the app is needed": many web processes may send one for the same cold start, and they
                // stand for at least one instance (the floor below), not one each. T records count the requests that wait.
                // An S record is not counted as a waiting request: the same request sends its first T record
                // startDelay after it arrived, which may be less than startDelay after its S record, and counting
                // both asked for a second instance while the first was still starting.
                app.Activated = true;
                app.StartRequested = true;
                app.Reclaimed = false;
                break;

            case MoreRequested:
                app.Activated = true;
                app.Reclaimed = false;
                app.Signals.Enqueue(ev.At);
                break;

            case RequestCompleted completed:
                OnCompleted(app, completed);
                break;

            case InstanceStarted started:
                app.Activated = true;
                app.Starting.Add(started.InstanceId); // it may be up, even busy, by the time the snapshot shows it
                break;

            case InstanceExited exited:
                app.Served.Remove(exited.InstanceId, out var served);
                app.Starting.Remove(exited.InstanceId);
                if (!exited.WasRetired)
                {
                    FailureStreak.OnExit(app, exited, served, options, random);
                }

                break;

            case BinaryChanged changed:
                var modified = changed.EffectiveModifiedAt;
                app.StaleBefore = app.StaleBefore is { } before && before > modified ? before : modified;
                app.BinaryChangePending = true;
                break;
        }
    }

    private static void OnCompleted(DemandApp app, RequestCompleted completed)
    {

        app.Completions.Enqueue(completed.At);
        app.RecentCompletions.Enqueue(completed.At);
        app.ServiceSeconds = Smoothing.Next(app.ServiceSeconds, completed.ServiceTime.TotalSeconds);
        app.QueueSeconds = Smoothing.Next(app.QueueSeconds, completed.QueueTime.TotalSeconds);
        // The freed instance takes the oldest waiting request, if one waited before this completion.
        if (app.Signals.Count > 0 && app.Signals.Peek() <= completed.At)
        {
            app.Signals.Dequeue();
        }
    }
}
