using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Headers;

/// <summary>
/// The `request` header rules as a YARP request transform: the top-level ones, then the route's,
/// on the request as it goes to the backend (after the forwarded headers, so a rule may change
/// those too). Runs on each attempt, so a retry sends the same fields.
/// </summary>
internal sealed class HeaderRulesTransform(ActiveConfig config, TimeProvider time) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var snapshot = config.Current;
        var defaults = snapshot.Settings.Headers?.Request;
        var route = context.HttpContext.GetRouteModel() is { } model ? snapshot.Route(model.Config.RouteId) : null;
        var own = route?.Headers?.Request;
        if (defaults is not null)
        {
            Apply(context, defaults, route);
        }

        if (own is not null)
        {
            Apply(context, own, route);
        }

        return ValueTask.CompletedTask;
    }

    private void Apply(RequestTransformContext context, IReadOnlyList<HeaderRule> rules, RouteSettings? route)
    {
        foreach (var rule in rules)
        {
            if (rule.Action != HeaderAction.Append)
            {
                RemoveHeader(context, rule.Name);
            }

            if (rule.Value is { } value)
            {
                AddHeader(context, rule.Name, value.Render(context.HttpContext, route, time));
            }
        }
    }
}
