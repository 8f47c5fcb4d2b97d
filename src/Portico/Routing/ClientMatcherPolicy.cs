using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Yarp.ReverseProxy.Model;

namespace Portico.Routing;

/// <summary>
/// Adds `match.device`, `match.clientIps` and `match.cookies` to endpoint matching: a route whose
/// conditions on the client do not hold is dropped from the candidates, so the next-best route
/// (or 404) applies. The device class and the client address are computed once per request and
/// only when a candidate asks for them. As YARP does for header rules, a route with such
/// conditions ranks above an otherwise equal route without (a catch-all beside a mobile route).
/// </summary>
internal sealed class ClientMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy, IEndpointComparerPolicy
{
    private readonly ActiveConfig _config;

    public ClientMatcherPolicy(ActiveConfig config)
    {
        _config = config;
        Comparer = Comparer<Endpoint>.Create((x, y) => Rank(x).CompareTo(Rank(y)));
    }

    // Beside pathRegex, after YARP's own host/header/query policies.
    public override int Order => 1001;

    public IComparer<Endpoint> Comparer { get; }

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (MatchOf(endpoint) is { } match && HasClientConditions(match))
            {
                return true;
            }
        }

        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && MatchOf(candidates[i].Endpoint) is { } match && !Holds(match, httpContext))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    // Lower ranks first: conditions on the client make a route more specific.
    private int Rank(Endpoint endpoint) => MatchOf(endpoint) is { } match && HasClientConditions(match) ? 0 : 1;

    private static bool HasClientConditions(RouteMatchSettings match)
        => match.Device != DeviceClass.None || match.ClientIps.Count > 0 || match.Cookies.Count > 0;

    private static bool Holds(RouteMatchSettings match, HttpContext context)
    {
        if (match.Device != DeviceClass.None && (match.Device & ClientDevice.Of(context)) == 0)
        {
            return false;
        }

        if (match.ClientIps.Count > 0 && !ClientAddress.IsTrusted(ClientAddress.Of(context), match.ClientIps))
        {
            return false;
        }

        foreach (var cookie in match.Cookies)
        {
            if (!CookieCondition.Holds(cookie, context.Request.Cookies[cookie.Name]))
            {
                return false;
            }
        }

        return true;
    }

    private RouteMatchSettings? MatchOf(Endpoint endpoint)
        => endpoint.Metadata.GetMetadata<RouteModel>() is { } route ? _config.Current.Route(route.Config.RouteId)?.Match : null;
}
