using System.Net;

namespace Portico.Forwarding;

/// <summary>What a page's `{variables}` may say of one answer, gathered alike by the full path and the fast path.</summary>
internal readonly record struct PageContext(int Status, string RequestId, string? Route, IPAddress ClientIp, DateTimeOffset Now);
