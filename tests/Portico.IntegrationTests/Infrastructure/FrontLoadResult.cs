namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// What a <see cref="FrontLoad"/> counted: answered as expected, failed (after the one retry),
/// retried (a broken connection, answered on the second try), whether it ran into its cap, how
/// many answers carried each body, and samples of the failures and the retries.
/// </summary>
internal sealed record FrontLoadResult(int Ok, int Failed, int Retried, bool Capped, IReadOnlyDictionary<string, int> Bodies, IReadOnlyList<string> SampleFailures, IReadOnlyList<string> SampleRetries)
{
    public override string ToString()
        => $"{Ok + Failed} requests: {Ok} ok, {Failed} failed, {Retried} retried after a broken connection{(Capped ? " (the load reached its time cap)" : "")}; "
            + $"bodies {string.Join(", ", Bodies.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Value}"))}"
            + (SampleFailures.Count > 0 ? "\nfailures:\n  " + string.Join("\n  ", SampleFailures) : "")
            + (SampleRetries.Count > 0 ? "\nretried:\n  " + string.Join("\n  ", SampleRetries) : "");
}
