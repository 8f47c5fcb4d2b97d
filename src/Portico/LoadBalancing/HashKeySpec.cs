using Microsoft.AspNetCore.Http;
using Portico.Forwarding;

namespace Portico.LoadBalancing;

/// <summary>What consistent hashing hashes: the client address, a request header or a cookie.</summary>
internal sealed record HashKeySpec(HashKeySource Source, string Name)
{
    public static readonly HashKeySpec ClientIp = new(HashKeySource.ClientIp, "");

    public static bool TryParse(string text, out HashKeySpec spec)
    {
        spec = ClientIp;
        if (text == "client-ip")
        {
            return true;
        }

        var colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var name = text[(colon + 1)..];
        HashKeySource? source = text[..colon] switch
        {
            "header" => HashKeySource.Header,
            "cookie" => HashKeySource.Cookie,
            _ => null,
        };
        if (source is null)
        {
            return false;
        }

        spec = new HashKeySpec(source.Value, name);
        return true;
    }

    /// <summary>The request's key: the header or cookie value, or the client address when it has none.</summary>
    public string KeyOf(HttpContext context)
    {
        var value = Source switch
        {
            HashKeySource.Header => context.Request.Headers[Name].ToString(),
            HashKeySource.Cookie => context.Request.Cookies[Name],
            _ => null,
        };
        return string.IsNullOrEmpty(value) ? ClientAddress.Of(context).ToString() : value;
    }
}

internal enum HashKeySource
{
    ClientIp,
    Header,
    Cookie,
}
