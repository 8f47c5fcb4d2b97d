namespace Portico.LoadBalancing;

/// <summary>The `loadBalancing` values an operator may write, and the YARP policy behind each.</summary>
internal static class PolicyNames
{
    public const string RoundRobin = "round-robin";
    public const string LeastRequests = "least-requests";
    public const string PowerOfTwo = "power-of-two";
    public const string Random = "random";
    public const string Weighted = "weighted";
    public const string ConsistentHash = "consistent-hash";

    public static readonly IReadOnlyList<string> All = [RoundRobin, LeastRequests, PowerOfTwo, Random, Weighted, ConsistentHash];

    /// <summary>The name registered with YARP for one of ours.</summary>
    public static string ToYarp(string name) => name switch
    {
        RoundRobin => "RoundRobin",
        LeastRequests => "LeastRequests",
        PowerOfTwo => "PowerOfTwoChoices",
        Random => "Random",
        Weighted => WeightedRoundRobinPolicy.PolicyName,
        ConsistentHash => ConsistentHashPolicy.PolicyName,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown load-balancing policy"),
    };
}
