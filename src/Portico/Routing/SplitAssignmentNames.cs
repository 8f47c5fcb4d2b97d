namespace Portico.Routing;

/// <summary>The label each <see cref="SplitAssignment"/> has in metrics.</summary>
internal static class SplitAssignmentNames
{
    public static string Of(SplitAssignment how) => how switch
    {
        SplitAssignment.New => "new",
        SplitAssignment.Forced => "forced",
        _ => "sticky",
    };
}
