using System.Net;

namespace Portico.Configuration.Model;

/// <summary>
/// One entry of a route's `auth.allow`. Every condition given must hold; a list of names or
/// addresses is satisfied by any one of them, a list of scopes or roles needs all of them.
/// </summary>
internal sealed record AuthRuleSettings
{
    /// <summary>`schemes`: the scheme that authenticated is one of these.</summary>
    public IReadOnlyList<string> Schemes { get; init; } = [];

    /// <summary>`users`: the authenticated name (user, API key name, certificate subject) is one of these.</summary>
    public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>`apiKeys`: the API key used has one of these names.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>`scopes`: the caller holds every one of these scopes.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>`roles`: the caller holds every one of these roles.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>`claims`: for each claim type, the caller has a claim of that type with one of the values.</summary>
    public IReadOnlyList<ClaimRequirement> Claims { get; init; } = [];

    /// <summary>`clientCertSubjects`: the mutual-TLS client certificate's subject is one of these.</summary>
    public IReadOnlyList<string> ClientCertSubjects { get; init; } = [];

    /// <summary>`ipRanges`: the client address is in one of these networks.</summary>
    public IReadOnlyList<IPNetwork> IpRanges { get; init; } = [];
}

/// <summary>A claim of <see cref="Type"/> with one of <see cref="Values"/>.</summary>
internal sealed record ClaimRequirement(string Type, IReadOnlyList<string> Values);
