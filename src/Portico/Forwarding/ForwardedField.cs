namespace Portico.Forwarding;

/// <summary>The fields the forwarded-headers rule writes (<see cref="ForwardedHeaders"/>), in the order of <see cref="ForwardedHeaders.Names"/>.</summary>
internal enum ForwardedField
{
    XForwardedFor,
    XForwardedProto,
    XForwardedHost,
    Forwarded,
}
