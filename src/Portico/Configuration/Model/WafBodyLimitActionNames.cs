namespace Portico.Configuration.Model;

/// <summary>The config names of <see cref="WafBodyLimitAction"/>.</summary>
internal static class WafBodyLimitActionNames
{
    public const string Reject = "reject";
    public const string InspectFirst = "inspect-first";

    public static string Of(WafBodyLimitAction action) => action == WafBodyLimitAction.InspectFirst ? InspectFirst : Reject;

    public static WafBodyLimitAction? Parse(string name) => name switch
    {
        Reject => WafBodyLimitAction.Reject,
        InspectFirst => WafBodyLimitAction.InspectFirst,
        _ => null,
    };
}
