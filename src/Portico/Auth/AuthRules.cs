using System.Net;
using System.Security.Claims;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>Whether a route's `auth.allow` lets an authenticated caller in: no rules, or any one rule whose every condition holds.</summary>
internal static class AuthRules
{
    public static bool Allows(IReadOnlyList<AuthRuleSettings> rules, AuthIdentity identity, IPAddress client, string? certificateSubject)
    {
        if (rules.Count == 0)
        {
            return true;
        }

        foreach (var rule in rules)
        {
            if (Holds(rule, identity, client, certificateSubject))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Holds(AuthRuleSettings rule, AuthIdentity identity, IPAddress client, string? certificateSubject)
        => AnyOf(rule.Schemes, identity.Scheme)
           && AnyOf(rule.Users, identity.Name)
           && (rule.ApiKeys.Count == 0 || identity.Values(AuthIdentity.ApiKeyClaim).Any(rule.ApiKeys.Contains))
           && AllOf(rule.Scopes, identity.Values(AuthIdentity.ScopeClaim))
           && AllOf(rule.Roles, identity.Values(ClaimTypes.Role))
           && rule.Claims.All(c => identity.Values(c.Type).Any(c.Values.Contains))
           && (rule.ClientCertSubjects.Count == 0 || (certificateSubject is not null && rule.ClientCertSubjects.Contains(certificateSubject)))
           && (rule.IpRanges.Count == 0 || rule.IpRanges.Any(n => n.Contains(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client)));

    private static bool AnyOf(IReadOnlyList<string> allowed, string value) => allowed.Count == 0 || allowed.Contains(value);

    private static bool AllOf(IReadOnlyList<string> required, IEnumerable<string> held)
    {
        if (required.Count == 0)
        {
            return true;
        }

        var set = held.ToHashSet(StringComparer.Ordinal);
        return required.All(set.Contains);
    }
}
