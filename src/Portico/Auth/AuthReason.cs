namespace Portico.Auth;

/// <summary>Why the auth stage refused a request; feeds the log, the metric and the access log.</summary>
internal enum AuthReason
{
    /// <summary>No credentials any of the route's schemes reads (401).</summary>
    Missing,

    /// <summary>Credentials were given and are not valid (401).</summary>
    Invalid,

    /// <summary>Authenticated, but no `allow` rule lets the caller in (403).</summary>
    Forbidden,

    /// <summary>Too many failed attempts from this client address (429).</summary>
    LockedOut,

    /// <summary>The forward-auth service answered other than 2xx; its answer went to the client.</summary>
    Denied,

    /// <summary>The forward-auth service was down, slow or broken (`unavailableStatus`, 503 by default).</summary>
    Unavailable,
}

internal static class AuthReasonNames
{
    public static string Of(AuthReason reason) => reason switch
    {
        AuthReason.Missing => "missing",
        AuthReason.Invalid => "invalid",
        AuthReason.Forbidden => "forbidden",
        AuthReason.LockedOut => "locked_out",
        AuthReason.Denied => "denied",
        AuthReason.Unavailable => "unavailable",
        _ => "other",
    };
}
