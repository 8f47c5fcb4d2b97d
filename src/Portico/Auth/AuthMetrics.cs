using System.Diagnostics.Metrics;

namespace Portico.Auth;

/// <summary>
/// The auth meter: requests on protected routes by route, scheme (the one that authenticated,
/// or `none`), outcome (`allowed`, `refused`) and, for refusals, the reason
/// (`missing`, `invalid`, `forbidden`, `locked_out`).
/// </summary>
internal sealed class AuthMetrics
{
    public const string MeterName = "Portico.Auth";

    private readonly Counter<long> _requests;

    public AuthMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _requests = meter.CreateCounter<long>("portico.auth.requests", "{request}", "Requests on routes with auth, by route, scheme, outcome and refusal reason");
    }

    public void Allowed(string route, string scheme)
        => _requests.Add(1, new("route", route), new("scheme", scheme), new KeyValuePair<string, object?>("outcome", "allowed"));

    public void Refused(string route, string scheme, AuthReason reason)
        => _requests.Add(1, new("route", route), new("scheme", scheme), new("outcome", "refused"), new KeyValuePair<string, object?>("reason", AuthReasonNames.Of(reason)));
}
