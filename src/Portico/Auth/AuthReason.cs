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
}

internal static class AuthReasonNames
{
    public static string Of(AuthReason reason) => reason switch
    {
        AuthReason.Missing => "missing",
        AuthReason.Invalid => "invalid",
        AuthReason.Forbidden => "forbidden",
        AuthReason.LockedOut => "locked_out",
        _ => "other",
    };
}
