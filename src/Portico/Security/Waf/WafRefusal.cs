namespace Portico.Security.Waf;

/// <summary>Why the WAF stopped (or in `detect`, would have stopped) a request; the audit log's `reason`.</summary>
internal enum WafRefusal
{
    /// <summary>`rules`: a rule interrupted it (the CRS's anomaly threshold, a body the engine could not parse, an operator's rule).</summary>
    Rules,

    /// <summary>`body_over_limit`: its body is longer than `waf.requestBodyLimit` on a route that rejects such bodies.</summary>
    BodyOverLimit,

    /// <summary>`body_undecodable`: its body is not in the content coding its Content-Encoding names (RFC 9110 §8.4), so it could not be inspected.</summary>
    BodyUndecodable,

    /// <summary>`encoding_unsupported`: its body is in a content coding Portico does not decode (RFC 9110 §8.4.1), so it could not be inspected.</summary>
    EncodingUnsupported,
}
