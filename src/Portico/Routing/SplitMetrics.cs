using System.Diagnostics.Metrics;

namespace Portico.Routing;

/// <summary>Meter "Portico.Split": requests each split arm received, and how they were assigned to it.</summary>
internal sealed class SplitMetrics
{
    public const string MeterName = "Portico.Split";

    private readonly Counter<long> _requests;

    public SplitMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _requests = meter.CreateCounter<long>("portico.split.requests", "{request}", "Requests of routes with a split, by route, arm and assignment (new, sticky, forced)");
    }

    public void Assigned(string route, string arm, SplitAssignment how)
        => _requests.Add(1, new("route", route), new("arm", arm), new("assignment", SplitAssignmentNames.Of(how)));
}
