namespace Portico.Health;

/// <summary>Names under which our health policies are registered with YARP.</summary>
internal static class HealthPolicyNames
{
    public const string Active = "PorticoThresholds";
    public const string Passive = "PorticoPassive";
}
