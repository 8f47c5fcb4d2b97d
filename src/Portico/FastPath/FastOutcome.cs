namespace Portico.FastPath;

/// <summary>How the fast path left one request, which decides what the connection does next.</summary>
internal enum FastOutcome
{
    /// <summary>Answered; the connection may carry the next request.</summary>
    Done,

    /// <summary>Answered; the connection must close now.</summary>
    Close,

    /// <summary>Not answered and nothing sent to the client: the full path takes this request.</summary>
    HandOver,
}
