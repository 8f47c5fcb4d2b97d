using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>The request headers that carry an authenticated caller's identity to the backend.</summary>
internal static class IdentityHeaders
{
    /// <summary>Removes every identity header name any route writes; run on every request, whatever its route.</summary>
    public static void Strip(IHeaderDictionary headers, string[] names)
    {
        foreach (var name in names)
        {
            headers.Remove(name);
        }
    }

    public static void Write(IHeaderDictionary headers, IdentityHeaderSettings settings, AuthIdentity identity)
    {
        if (settings.User is { } user)
        {
            headers[user] = HeaderSafe(identity.Name);
        }

        if (settings.Scheme is { } scheme)
        {
            headers[scheme] = identity.Scheme;
        }

        foreach (var (header, type) in settings.Claims)
        {
            var values = identity.Values(type).Select(HeaderSafe).ToArray();
            if (values.Length > 0)
            {
                headers[header] = string.Join(", ", values);
            }
        }
    }

    /// <summary>Header values are visible ASCII (RFC 9110 §5.5); anything else, and '%', is percent-encoded as UTF-8.</summary>
    private static string HeaderSafe(string value)
        => value.All(c => c is >= ' ' and <= '~' && c != '%') ? value : Uri.EscapeDataString(value);
}
