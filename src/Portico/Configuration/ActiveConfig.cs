namespace Portico.Configuration;

/// <summary>
/// The config that is serving now. Stages read <see cref="Current"/> once per request; a reload
/// swaps in a whole new snapshot, so a request never sees half of one config and half of another.
/// </summary>
internal sealed class ActiveConfig
{
    private volatile ConfigSnapshot _current = ConfigSnapshot.Empty;

    public ConfigSnapshot Current => _current;

    /// <summary>Raised after a new snapshot serves, for state that needs the serving host's services (file watchers that log).</summary>
    public event Action<ConfigSnapshot>? Changed;

    public void Set(ConfigSnapshot snapshot)
    {
        _current = snapshot;
        Changed?.Invoke(snapshot);
    }
}
