using System.Diagnostics.Metrics;

namespace Portico.Routing;

/// <summary>Meter "Portico.Rewrite": the redirects routes answered, and the rewrites they refused.</summary>
internal sealed class RewriteMetrics
{
    public const string MeterName = "Portico.Rewrite";

    private readonly Counter<long> _redirects;
    private readonly Counter<long> _refused;

    public RewriteMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _redirects = meter.CreateCounter<long>("portico.redirects", "{response}", "Redirects answered by routes' `redirects` and `normalize`, by route and status");
        _refused = meter.CreateCounter<long>("portico.rewrites.refused", "{request}", "Requests answered 400 because the route's `rewrite` made a path with a '.' or '..' segment, by route");
    }

    public void Redirected(string route, int status)
        => _redirects.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));

    public void Refused(string route)
        => _refused.Add(1, new KeyValuePair<string, object?>("route", route));
}
