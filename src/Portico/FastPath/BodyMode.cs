namespace Portico.FastPath;

/// <summary>How a backend's response body ends (RFC 9112 §6.3), as the relay reads it.</summary>
internal enum BodyMode
{
    None,
    Length,
    Chunked,
    UntilClose,

    /// <summary>The head is malformed or framed two ways; nothing of it reaches the client.</summary>
    Invalid,
}
