namespace Portico.Configuration.Model;

/// <summary>One `split.arms` entry: a cluster (also the arm's name in logs and metrics) and its weight.</summary>
internal sealed record SplitArm(string Cluster, int Weight);
