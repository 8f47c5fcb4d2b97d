namespace Portico.Configuration;

/// <summary>
/// The config that is serving now. Stages read <see cref="Current"/> once per request; a reload
/// swaps in a whole new snapshot, so a request never sees half of one config and half of another.
/// </summary>
internal sealed class ActiveConfig
{
    private volatile ConfigSnapshot _current = ConfigSnapshot.Empty;

    public ConfigSnapshot Current => _current;

    public void Set(ConfigSnapshot snapshot) => _current = snapshot;
}
