namespace Portico.Transport;

/// <summary>
/// The request to close a connection (the server's stop), told to one watcher directly: the
/// lifetime-notification feature of a connection the event loop started
/// (<see cref="LoopDispatcher"/>) is one. Watching its ConnectionClosedRequested token instead
/// made a CancellationTokenSource and a registration (about 200 bytes) for every connection the
/// fast path served (issue 25); the token is still made for whoever asks for it (Kestrel's HTTP
/// processing on the full path).
/// </summary>
internal interface ICloseRequestWatch
{
    /// <summary>
    /// From now on <paramref name="watcher"/> hears of the request to close, at once if it was
    /// made already; null stops the watch. A request made while the watch starts may be told
    /// twice, on the requester's thread (as a token's callback runs).
    /// </summary>
    void Watch(ICloseRequestWatcher? watcher);
}

/// <summary>What hears of a request to close a connection (<see cref="ICloseRequestWatch"/>).</summary>
internal interface ICloseRequestWatcher
{
    /// <summary>The connection is asked to close: it ends after the request it is serving. Called at least once, perhaps twice.</summary>
    void OnCloseRequested();
}
