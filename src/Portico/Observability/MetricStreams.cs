using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Portico.Observability;

/// <summary>
/// The stream OpenTelemetry keeps for each instrument. The SDK sets aside, for every instrument it
/// collects, an array of <see cref="MetricStreamConfiguration.CardinalityLimit"/> metric points
/// (2000 by default, about 100 bytes each) when the instrument first records: 0.2 MB on the large
/// object heap apiece, and the runtime's meter alone brings some twenty instruments, whose
/// attributes take a handful of values each (a GC generation, a CPU mode, an exception type). A
/// smaller array for those saves about 4 MB at rest (bench/memory.sh); Portico's own instruments
/// get what their labels can take (<see cref="MetricLimits"/>).
/// </summary>
internal static class MetricStreams
{
    /// <summary>Series per runtime instrument before OpenTelemetry folds the rest into its overflow series.</summary>
    public const int RuntimeCardinalityLimit = 64;

    public const string RuntimeMeter = "System.Runtime";

    /// <summary>
    /// Also leaves out the instruments of another proxy in the same process. OpenTelemetry
    /// listens by meter name, so without it one host's /metrics would also list the series of
    /// every other Portico host alive in the process (an embedding application, the test suite),
    /// under the same names and labels. Our meters come from the host's <see cref="IMeterFactory"/>
    /// (their scope); meters with no scope, such as the runtime's, are process-wide and kept.
    /// </summary>
    public static Func<Instrument, MetricStreamConfiguration?> For(IMeterFactory own, MetricShape atStart) => instrument => instrument.Meter switch
    {
        { Scope: IMeterFactory factory } when !ReferenceEquals(factory, own) => MetricStreamConfiguration.Drop,
        { Name: RuntimeMeter } => new MetricStreamConfiguration { CardinalityLimit = RuntimeCardinalityLimit },
        _ => MetricLimits.For(instrument.Name, atStart) is { } limit ? new MetricStreamConfiguration { CardinalityLimit = limit } : null,
    };
}
