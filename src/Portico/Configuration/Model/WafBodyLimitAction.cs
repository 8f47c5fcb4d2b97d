namespace Portico.Configuration.Model;

/// <summary>What a WAF route does with a request body longer than `waf.requestBodyLimit`.</summary>
internal enum WafBodyLimitAction
{
    /// <summary>`reject`: refused with 413 (in `detect`: forwarded and logged), as ModSecurity's recommended configuration does; a body the engine cannot see whole is not passed as inspected.</summary>
    Reject,

    /// <summary>`inspect-first`: the first `requestBodyLimit` bytes are inspected as a body of their own and the rest streams on uninspected.</summary>
    InspectFirst,
}
