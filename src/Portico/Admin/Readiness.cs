namespace Portico.Admin;

/// <summary>
/// Whether this instance should be sent new clients, as `GET /readyz` on the admin listener
/// says: not until the config is applied and every proxy listener is bound, and no longer from
/// the first moment of a shutdown, while the listeners still accept and in-flight requests
/// finish. An L4 balancer that checks it stops choosing this instance before it closes.
/// Hosting/Lifecycle moves it; `GET /livez` needs no state (a process that answers is alive).
/// </summary>
internal sealed class Readiness
{
    private volatile string _state = Starting;

    public const string Starting = "starting";
    public const string Ready = "ready";
    public const string Draining = "draining";

    /// <summary>One of <see cref="Starting"/>, <see cref="Ready"/>, <see cref="Draining"/>.</summary>
    public string State => _state;

    public bool IsReady => ReferenceEquals(_state, Ready);

    public void MarkReady()
    {
        // A shutdown that began before start-up ended is never undone.
        if (ReferenceEquals(_state, Starting))
        {
            _state = Ready;
        }
    }

    public void MarkDraining() => _state = Draining;
}
