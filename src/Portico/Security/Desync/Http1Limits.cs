namespace Portico.Security.Desync;

/// <summary>The limits one connection's validator enforces; taken from config when the connection opens.</summary>
internal sealed record Http1Limits(long MaxRequestLine, int MaxHeaderCount, long MaxHeadersSize, bool RejectUnderscoreNames);
