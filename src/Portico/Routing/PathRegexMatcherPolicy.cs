using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Portico.Configuration;
using Yarp.ReverseProxy.Model;

namespace Portico.Routing;

/// <summary>
/// Adds `match.pathRegex` to endpoint matching: YARP routes whose regex does not match the
/// request path are dropped from the candidates, so the next-best route (or 404) applies.
/// </summary>
internal sealed class PathRegexMatcherPolicy(ActiveConfig config) : MatcherPolicy, IEndpointSelectorPolicy
{
    // After YARP's own host/header/query policies; the order among them does not change results.
    public override int Order => 1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (RegexOf(endpoint) is not null)
            {
                return true;
            }
        }

        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var path = httpContext.Request.Path.Value ?? "/";
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && RegexOf(candidates[i].Endpoint) is { } regex && !IsMatch(regex, path))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    private static bool IsMatch(Regex regex, string path)
    {
        try
        {
            return regex.IsMatch(path);
        }
        catch (RegexMatchTimeoutException)
        {
            // A path that makes the pattern backtrack past its budget does not match.
            return false;
        }
    }

    private Regex? RegexOf(Endpoint endpoint)
        => endpoint.Metadata.GetMetadata<RouteModel>() is { } route ? config.Current.Route(route.Config.RouteId)?.Match.PathRegex : null;
}
