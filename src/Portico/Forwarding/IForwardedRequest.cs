namespace Portico.Forwarding;

/// <summary>
/// A request to a backend as <see cref="ForwardedHeaders"/> writes its forwarded fields: the
/// full path's adapter builds strings for YARP's request message, the fast path's writes bytes
/// into the request head. Each field is written between <see cref="Begin"/> and <see cref="End"/>.
/// </summary>
internal interface IForwardedRequest
{
    /// <summary>Whether the peer is a trusted proxy, whose forwarded fields are kept.</summary>
    bool Trusted { get; }

    /// <summary>The Host the client asked for contains ':' (a port, or an IPv6 literal).</summary>
    bool HostHasColon { get; }

    void Begin(ForwardedField field);

    void End();

    /// <summary>ASCII text.</summary>
    void Text(ReadOnlySpan<byte> ascii);

    /// <summary>
    /// Writes the client's own values of <paramref name="field"/>, every line's, joined by ", "
    /// (a value of only whitespace counts as not sent); false when it sent none.
    /// </summary>
    bool Sent(ForwardedField field);

    /// <summary>The TCP peer's address.</summary>
    void Peer();

    /// <summary>The TCP peer as a Forwarded node (<see cref="ForwardedHeaders.Node"/>).</summary>
    void Node();

    /// <summary>The scheme the client used: http or https.</summary>
    void Scheme();

    /// <summary>The Host the client asked for.</summary>
    void Host();
}
