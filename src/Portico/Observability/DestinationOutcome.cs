namespace Portico.Observability;

/// <summary>How one exchange with a destination ended, as the dashboard and admin API count it per destination.</summary>
internal enum DestinationOutcome
{
    /// <summary>The destination answered with a status below 500.</summary>
    Answered,

    /// <summary>The destination answered 5xx.</summary>
    ServerError,

    /// <summary>No connection could be opened (refused, unreachable, connect timeout).</summary>
    Connect,

    /// <summary>The connection broke: closed or reset before or during the response.</summary>
    Reset,

    /// <summary>The destination did not answer within the route's or the cluster's timeout.</summary>
    Timeout,
}
