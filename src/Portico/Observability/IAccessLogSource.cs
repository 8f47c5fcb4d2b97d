namespace Portico.Observability;

/// <summary>Where the access log reads a request's line from (an HttpContext, or the fast path's parsed head); asked only when the log is on.</summary>
internal interface IAccessLogSource
{
    AccessLogRequest Describe();
}
