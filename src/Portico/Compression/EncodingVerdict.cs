namespace Portico.Compression;

/// <summary>
/// What compression does to one response (<see cref="ResponseEncoding.Judge"/>), on either path.
/// </summary>
/// <param name="AddsVary">`Vary: Accept-Encoding` is appended: the response is of a kind the route compresses, so caches must key it on the request's codings, whether or not this one is encoded.</param>
/// <param name="Encodes">The body is encoded in the negotiated coding (Content-Encoding added, Content-Length and Accept-Ranges dropped, a strong ETag weakened).</param>
internal readonly record struct EncodingVerdict(bool AddsVary, bool Encodes);
