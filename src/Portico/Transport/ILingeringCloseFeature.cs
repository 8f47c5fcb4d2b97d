namespace Portico.Transport;

/// <summary>
/// For what knows more than the transport: the client may still be sending when its connection
/// ends (a request refused before its end was read), so its close lingers
/// (<see cref="LingeringCloses"/>) even when no unread byte is in sight yet. A connection on the
/// event-loop transport has it; on Kestrel's socket transport it is missing.
/// </summary>
internal interface ILingeringCloseFeature
{
    /// <summary>The connection's close lingers, as far as the transport's limits allow.</summary>
    void ClientMaySend();
}
