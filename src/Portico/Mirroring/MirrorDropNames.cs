namespace Portico.Mirroring;

/// <summary>The label each <see cref="MirrorDrop"/> has in metrics and logs.</summary>
internal static class MirrorDropNames
{
    public static string Of(MirrorDrop drop) => drop switch
    {
        MirrorDrop.QueueFull => "queue_full",
        MirrorDrop.BodyTooLarge => "body_too_large",
        MirrorDrop.BodyIncomplete => "body_incomplete",
        MirrorDrop.NoDestination => "no_destination",
        MirrorDrop.ShadowError => "shadow_error",
        MirrorDrop.Timeout => "timeout",
        _ => "other",
    };
}
