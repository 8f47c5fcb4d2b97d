namespace Portico.Routing;

/// <summary>
/// The backend's names and the client's for one response (<see cref="RewriteBackTransform"/>):
/// the Host Portico sent and the destination's authority, the client's origin and host name, and
/// for a prefix rewrite the backend's prefix and the client's.
/// </summary>
internal sealed record BackMapping(string SentHost, string DestinationAuthority, string ClientOrigin, string ClientHostName, (string Backend, string Client)? Prefix)
{
    /// <summary>A `Location` in the client's terms; one at another host, or not a URL, is left as it is.</summary>
    public string Location(string location)
    {
        if (location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal))
        {
            return MapPath(location);
        }

        foreach (var scheme in (ReadOnlySpan<string>)["http://", "https://"])
        {
            if (!location.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = location[scheme.Length..];
            var slash = rest.IndexOfAny(['/', '?', '#']);
            var authority = slash < 0 ? rest : rest[..slash];
            if (!authority.Equals(SentHost, StringComparison.OrdinalIgnoreCase) && !authority.Equals(DestinationAuthority, StringComparison.OrdinalIgnoreCase))
            {
                return location;
            }

            var path = slash < 0 ? "/" : rest[slash..];
            return ClientOrigin + (path.StartsWith('/') ? MapPath(path) : path);
        }

        return location;
    }

    /// <summary>A `Set-Cookie` value with its `Domain` and `Path` attributes in the client's terms.</summary>
    public string Cookie(string setCookie)
    {
        var parts = setCookie.Split(';');
        var changed = false;
        var sentHostName = SentHost.Split(':')[0];
        for (var i = 1; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=');
            if (equals < 0)
            {
                continue;
            }

            var name = parts[i][..equals].Trim();
            var value = parts[i][(equals + 1)..].Trim();
            if (name.Equals("Domain", StringComparison.OrdinalIgnoreCase) && value.TrimStart('.').Equals(sentHostName, StringComparison.OrdinalIgnoreCase)
                && !sentHostName.Equals(ClientHostName, StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = $" {name}={ClientHostName}";
                changed = true;
            }
            else if (name.Equals("Path", StringComparison.OrdinalIgnoreCase) && value.StartsWith('/') && MapPath(value) is var mapped && mapped != value)
            {
                parts[i] = $" {name}={mapped}";
                changed = true;
            }
        }

        return changed ? string.Join(';', parts) : setCookie;
    }

    /// <summary>A path under the backend's prefix moved under the client's; any other path as it is.</summary>
    private string MapPath(string path)
    {
        if (Prefix is not var (backend, client))
        {
            return path;
        }

        var trimmed = backend.TrimEnd('/');
        if (trimmed.Length > 0 && !(path.StartsWith(trimmed, StringComparison.Ordinal) && (path.Length == trimmed.Length || path[trimmed.Length] is '/' or '?')))
        {
            return path;
        }

        var mapped = client.TrimEnd('/') + path[trimmed.Length..];
        return mapped.Length == 0 || mapped[0] == '?' ? "/" + mapped : mapped;
    }
}
