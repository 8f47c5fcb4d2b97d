namespace Portico.Security.Desync;

/// <summary>
/// Why an HTTP/1.x byte stream was refused. <see cref="Answerable"/> is true when none of the
/// offending request reached the server yet, so Portico answers it itself; otherwise its head
/// was already handed on and the connection is cut mid-body.
/// </summary>
internal sealed record FramingViolation(int Status, string Reason, bool Answerable);
