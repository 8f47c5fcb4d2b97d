namespace Portico.Routing;

/// <summary>How a request got its split arm: the `assignment` label of the split metric.</summary>
internal enum SplitAssignment
{
    /// <summary>A client without Portico's split cookie: a new id, and the cookie set.</summary>
    New,

    /// <summary>From the client's sticky key (the cookie it returned, a header, a cookie of the site's, its address).</summary>
    Sticky,

    /// <summary>A force header or cookie named the arm.</summary>
    Forced,
}
