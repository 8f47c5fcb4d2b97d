namespace Portico.Configuration.Model;

/// <summary>`healthCheck.active`: Portico probes each destination on its own.</summary>
internal sealed record ActiveHealthSettings
{
    /// <summary>`path`: probe path (with optional query). Default "/".</summary>
    public string Path { get; init; } = "/";

    /// <summary>`interval`: time between probes. Default 10s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>`timeout`: a probe with no answer by then failed. Default 5s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`healthyThreshold`: consecutive passes that bring a destination back. Default 2.</summary>
    public int HealthyThreshold { get; init; } = 2;

    /// <summary>`unhealthyThreshold`: consecutive failures that take it out. Default 3.</summary>
    public int UnhealthyThreshold { get; init; } = 3;

    /// <summary>`expectedStatus`: status codes or ranges that pass, e.g. [200, "300-399"]. Default 200-399.</summary>
    public IReadOnlyList<StatusRange> ExpectedStatus { get; init; } = [new StatusRange(200, 399)];
}

/// <summary>`healthCheck.passive`: Portico watches real traffic and ejects failing destinations.</summary>
internal sealed record PassiveHealthSettings
{
    /// <summary>`consecutiveFailures`: failures in a row that eject. Default 5; 0 turns this rule off.</summary>
    public int ConsecutiveFailures { get; init; } = 5;

    /// <summary>`failureRate`: share of failed requests in `window` that ejects (0 to 1). Default: off.</summary>
    public double? FailureRate { get; init; }

    /// <summary>`window`: span over which `failureRate` is measured. Default 30s.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`minimumRequests`: requests in `window` before `failureRate` is judged. Default 10.</summary>
    public int MinimumRequests { get; init; } = 10;

    /// <summary>`reactivateAfter`: how long an ejected destination sits out. Default 30s.</summary>
    public TimeSpan ReactivateAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`countServerErrors`: count 5xx responses as failures, not only transport errors. Default false.</summary>
    public bool CountServerErrors { get; init; }
}

internal readonly record struct StatusRange(int From, int To)
{
    public bool Contains(int status) => status >= From && status <= To;

    public override string ToString() => From == To ? From.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{From}-{To}";
}
