namespace Portico.Health;

/// <summary>A destination's last active probe: whether it passed, what it got (<see cref="ProbeOutcome"/>), and when it completed.</summary>
internal sealed record ProbeResult(bool Passed, string Outcome, DateTimeOffset At);
