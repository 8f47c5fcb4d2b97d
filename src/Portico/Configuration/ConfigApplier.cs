using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>
/// Makes a loaded config the serving one, or records why it was refused. The serving config
/// changes only here, all at once: our snapshot first, then YARP's routes and clusters.
/// </summary>
internal sealed class ConfigApplier(ActiveConfig active, PorticoConfigProvider provider, TimeProvider time, ConfigLog log, ConfigMetrics metrics)
{
    private readonly Lock _gate = new();
    private int _revision;
    private int _serving;

    /// <summary>The outcome of the most recent load attempt, for the log and the admin API.</summary>
    public ReloadOutcome? LastOutcome { get; private set; }

    /// <summary>The revision YARP reports as applied: routes and clusters of this revision are serving.</summary>
    public int ServingRevision => Volatile.Read(ref _serving);

    public void MarkServing(int revision)
    {
        Volatile.Write(ref _serving, revision);
        metrics.Serving(revision);
    }

    public bool Apply(LoadedConfig loaded)
    {
        lock (_gate)
        {
            if (!loaded.IsValid)
            {
                metrics.Loaded(applied: false);
                log.ReloadRefused(loaded.Source, loaded.Errors.Count);
                foreach (var error in loaded.Errors)
                {
                    log.ConfigError(error.ToString());
                }

                // Last, so whoever waits on the outcome also finds the log lines written.
                LastOutcome = new ReloadOutcome(time.GetUtcNow(), loaded.Source, 0, loaded.Errors.Select(e => e.ToString()).ToArray());

                return false;
            }

            var previous = active.Current;
            if (previous.Revision > 0 && (!SameListeners(previous.Settings.Listeners, loaded.Settings!.Listeners)
                || previous.Settings.Limits.ServerWide != loaded.Settings.Limits.ServerWide))
            {
                log.ListenersNeedRestart(loaded.Source);
            }

            _revision++;
            active.Set(new ConfigSnapshot(loaded.Settings!, loaded.Source, _revision, loaded.Runtimes));
            provider.Update(loaded.Routes, loaded.Clusters, _revision);
            previous.Retire();
            LastOutcome = new ReloadOutcome(time.GetUtcNow(), loaded.Source, _revision, []);
            metrics.Loaded(applied: true);
            log.Applied(_revision, loaded.Summary);
            return true;
        }
    }

    private static bool SameListeners(IReadOnlyList<ListenerSettings> a, IReadOnlyList<ListenerSettings> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.EndPoint.Equals(p.Second.EndPoint) && p.First.Protocols == p.Second.Protocols
               && p.First.Tls?.Describe() == p.Second.Tls?.Describe());
}

/// <summary>When a config was last loaded, from where, and the revision it became (0: refused, see Errors).</summary>
internal sealed record ReloadOutcome(DateTimeOffset At, string Source, int Revision, IReadOnlyList<string> Errors)
{
    public bool Applied => Revision > 0;
}
