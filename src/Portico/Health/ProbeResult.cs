namespace Portico.Health;

/// <summary>
/// A destination's last active probe: whether it passed, what it got (<see cref="ProbeOutcome"/>),
/// when it completed, and how long it took from sending to the response headers or the failure
/// (null when the probe request was never sent).
/// </summary>
internal sealed record ProbeResult(bool Passed, string Outcome, DateTimeOffset At, TimeSpan? Took);
