using System.Text;
using Portico.Configuration.Model;

namespace Portico.Security.Waf;

/// <summary>
/// The ModSecurity configuration Portico generates for one <see cref="WafProfile"/>: engine
/// settings, the CRS setup (which Portico's settings replace, so Debian's crs-setup.conf is not
/// read), the rule files, then the route's exclusions. Files are named one by one with plain
/// `Include`: libmodsecurity 3.0.9 refuses the `IncludeOptional` of Debian's CRS load file.
/// </summary>
internal static class WafRulesText
{
    /// <summary>The CRS files that inspect requests, in load order; responses are not inspected, so RESPONSE-*.conf is left out.</summary>
    public static string[] CrsFiles(string crsDirectory)
    {
        var rules = Path.Combine(crsDirectory, "rules");
        return Directory.Exists(rules)
            ? Directory.GetFiles(rules, "REQUEST-*.conf").Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    public static string For(WafProfile profile, WafSettings global, IReadOnlyList<string> crsFiles)
    {
        var text = new StringBuilder();
        // On even for `detect` routes: the intervention then tells Portico what would have been refused.
        Line(text, "SecRuleEngine On");
        Line(text, "SecRequestBodyAccess On");
        // Portico hands the engine at most this much. A longer body is refused before it gets here
        // (`reject`), or its first part is handed over (`inspect-first`) with one byte more, which
        // the engine drops while setting INBOUND_DATA_ERROR: rule 99010 reads that as "cut short
        // on purpose" (a multipart part is closed by Portico instead, so it still parses).
        Line(text, $"SecRequestBodyLimit {global.RequestBodyLimit}");
        Line(text, $"SecRequestBodyNoFilesLimit {global.RequestBodyLimit}");
        Line(text, "SecRequestBodyLimitAction ProcessPartial");
        Line(text, "SecResponseBodyAccess Off");
        Line(text, "SecAuditEngine Off");

        // The body parsers by content type, as ModSecurity's recommended base configuration
        // selects them, widened to structured-syntax suffixes (RFC 6839: +json, +xml), which CRS
        // 3.3 allows (application/cloudevents+json) and which would otherwise not be parsed.
        Line(text, """SecRule REQUEST_HEADERS:Content-Type "@rx ^(?:application|text)/(?:[a-z0-9.-]+\+)?xml" "id:99001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML" """);
        Line(text, """SecRule REQUEST_HEADERS:Content-Type "@rx ^application/(?:[a-z0-9.-]+\+)?json" "id:99002,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON" """);

        if (crsFiles.Count > 0)
        {
            // CRS anomaly scoring: rules add to a score, and 949110 refuses the request at the threshold.
            // CRS 3.x reads tx.paranoia_level, 4.x tx.blocking_paranoia_level; both are set.
            Line(text, "SecDefaultAction \"phase:1,log,auditlog,pass\"");
            Line(text, "SecDefaultAction \"phase:2,log,auditlog,pass\"");
            Line(text, $"SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={profile.Paranoia},setvar:tx.blocking_paranoia_level={profile.Paranoia}\"");
            Line(text, $"SecAction \"id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold={profile.AnomalyThreshold}\"");
            Line(text, $"SecAction \"id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods={string.Join(' ', global.AllowedMethods)}'\"");
            Line(text, "SecAction \"id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334\"");
        }

        foreach (var file in global.SetupFiles)
        {
            Line(text, $"Include {file}");
        }

        if (crsFiles.Count > 0)
        {
            foreach (var file in crsFiles)
            {
                Line(text, $"Include {file}");
            }
        }

        // libmodsecurity 3.0.9 keeps the CRLF that ends a multipart part's header in
        // MULTIPART_PART_HEADERS, so CRS's content-type collector (922150) captures
        // "text/plain; charset=utf-8\r\n" and 922110 refuses every upload whose parts name a
        // charset, as browsers and HttpClient do. Trimming the value first removes that.
        if (crsFiles.Any(f => f.EndsWith("-922-MULTIPART-ATTACK.conf", StringComparison.Ordinal) && File.ReadAllText(f).Contains("id:922150", StringComparison.Ordinal)))
        {
            Line(text, "SecRuleUpdateActionById 922150 \"t:none,t:lowercase,t:trim\"");
        }

        BodyErrorRules(text);

        foreach (var file in global.RuleFiles)
        {
            Line(text, $"Include {file}");
        }

        // After every rule is defined: SecRuleRemoveById removes only rules it has seen.
        if (profile.Exclusions.Length > 0)
        {
            Line(text, $"SecRuleRemoveById {profile.Exclusions}");
        }

        return text.ToString();
    }

    /// <summary>
    /// A body the engine could not parse is refused with 400, as ModSecurity's recommended
    /// configuration does: its arguments were never inspected (an unterminated multipart body
    /// yields none at all). Placed after the CRS, so an attack the CRS finds is what the audit
    /// log names; before the operator's rules, so `SecRuleRemoveById` there can drop them. The
    /// quoted boundary is allowed (RFC 2046 §5.1.1 permits it, .NET's HttpClient sends it), so
    /// MULTIPART_STRICT_ERROR, which includes it, is spelled out flag by flag.
    /// </summary>
    private static void BodyErrorRules(StringBuilder text)
    {
        Line(text, """SecRule REQBODY_ERROR "!@eq 0" "id:99010,phase:2,t:none,log,deny,status:400,severity:2,msg:'Request body could not be parsed',logdata:'%{REQBODY_ERROR_MSG}',chain" """);
        Line(text, """    SecRule INBOUND_DATA_ERROR "@eq 0" "t:none" """);
        Line(text, """SecRule MULTIPART_BOUNDARY_WHITESPACE|MULTIPART_DATA_BEFORE|MULTIPART_DATA_AFTER|MULTIPART_HEADER_FOLDING|MULTIPART_LF_LINE|MULTIPART_MISSING_SEMICOLON|MULTIPART_INVALID_QUOTING|MULTIPART_INVALID_PART|MULTIPART_INVALID_HEADER_FOLDING|MULTIPART_FILE_LIMIT_EXCEEDED "!@eq 0" "id:99011,phase:2,t:none,log,deny,status:400,severity:2,msg:'Multipart body failed strict validation',logdata:'%{MATCHED_VAR_NAME}'" """);
        Line(text, """SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:99012,phase:2,t:none,log,deny,status:400,severity:2,msg:'Multipart body has a line that looks like a boundary but is not one'" """);
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
