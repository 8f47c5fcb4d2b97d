using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `rateLimit` section.</summary>
internal static class RateLimitBinder
{
    public static RateLimitSettings? Bind(MapReader route, string routeId)
    {
        var m = route.Section("rateLimit");
        if (m is null)
        {
            return null;
        }

        var algorithmText = m.String("algorithm");
        RateLimitAlgorithm? algorithm = algorithmText switch
        {
            null or "token-bucket" => RateLimitAlgorithm.TokenBucket,
            "sliding-window" => RateLimitAlgorithm.SlidingWindow,
            _ => null,
        };
        if (algorithm is null)
        {
            m.Error("algorithm", $"'{algorithmText}' is not one of: token-bucket, sliding-window");
        }

        var limit = m.Int("limit", 1, 1_000_000_000);
        if (limit is null && m.Node("limit") is null)
        {
            m.Error("limit", "required: requests allowed per window (the bucket size for token-bucket)");
        }

        var window = m.Duration("window") ?? TimeSpan.FromMinutes(1);
        var tokens = m.Int("tokensPerPeriod", 1, 1_000_000_000);
        var segments = m.Int("segments", 1, 1000);
        if (tokens is not null && algorithm == RateLimitAlgorithm.SlidingWindow)
        {
            m.Error("tokensPerPeriod", "only used with algorithm: token-bucket");
        }

        if (segments is not null && algorithm == RateLimitAlgorithm.TokenBucket)
        {
            m.Error("segments", "only used with algorithm: sliding-window");
        }

        var shared = m.Bool("shared") ?? true;
        var keyText = m.String("key");
        var key = keyText is null ? new RateLimitKeySpec(RateLimitKeyKind.ClientIp, "") : ParseKey(keyText);
        if (key is null)
        {
            m.Error("key", $"'{keyText}' is not one of: client-ip, header:NAME, api-key, claim:TYPE");
        }

        m.Finish();
        if (algorithm is null || limit is null || key is null)
        {
            return null;
        }

        return new RateLimitSettings
        {
            Name = routeId,
            Algorithm = algorithm.Value,
            Limit = limit.Value,
            Window = window,
            TokensPerPeriod = tokens ?? limit.Value,
            Segments = segments ?? 6,
            Key = key,
            Shared = shared,
        };
    }

    internal static RateLimitKeySpec? ParseKey(string text)
    {
        if (text == "client-ip")
        {
            return new RateLimitKeySpec(RateLimitKeyKind.ClientIp, "");
        }

        if (text == "api-key")
        {
            return new RateLimitKeySpec(RateLimitKeyKind.ApiKey, "");
        }

        foreach (var (prefix, kind) in new[] { ("header:", RateLimitKeyKind.Header), ("claim:", RateLimitKeyKind.Claim) })
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.Length > prefix.Length && !text.AsSpan(prefix.Length).ContainsAny(" \t,;"))
            {
                return new RateLimitKeySpec(kind, text[prefix.Length..]);
            }
        }

        return null;
    }
}
