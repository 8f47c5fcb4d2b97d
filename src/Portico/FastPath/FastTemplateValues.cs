using System.Text;
using Portico.Configuration.Model;
using Portico.Headers;

namespace Portico.FastPath;

/// <summary>
/// The variables of a header rule's value read from the fast path's request, as the full pipeline
/// reads them from its HttpContext (ValueTemplate): the client address as resolved behind trusted
/// proxies, the request id, the Host as sent. HeaderRulesStage honours only the variables here.
/// </summary>
internal readonly struct FastTemplateValues(FastConnection state, RouteSettings route, string requestId, FastRecorder recorder) : ITemplateValues
{
    public string Value(TemplatePart part)
    {
        var head = state.Head;
        return part.Variable switch
        {
            TemplateVariable.ClientIp => recorder.ClientOf(state).ToString(),
            TemplateVariable.RequestId => requestId,
            TemplateVariable.Route => route.Id,
            TemplateVariable.Cluster => route.Cluster ?? "",
            TemplateVariable.Host => Encoding.Latin1.GetString(head[head.Host]),
            TemplateVariable.Scheme => state.Scheme,
            TemplateVariable.Method => Encoding.ASCII.GetString(head[head.Method]),
            TemplateVariable.TimeRfc1123 or TemplateVariable.TimeUnix or TemplateVariable.TimeIso8601 => ValueTemplate.Clock(part.Variable, recorder.Time),
            _ => "",
        };
    }
}
