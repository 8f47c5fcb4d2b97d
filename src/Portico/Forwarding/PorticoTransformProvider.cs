using Portico.Configuration;
using Portico.Headers;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.Forwarding;

/// <summary>Adds Portico's own transforms to every route, in place of YARP's default forwarders.</summary>
internal sealed class PorticoTransformProvider(ActiveConfig config, HeaderRulesTransform headerRules) : ITransformProvider
{
    private readonly ForwardedHeadersTransform _forwarded = new(config);
    private readonly HiddenHeadersTransform _hidden = new(config);
    private readonly RawQueryTransform _rawQuery = new();

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.UseDefaultForwarders = false;
        context.RequestTransforms.Add(_forwarded);
        context.RequestTransforms.Add(_rawQuery);
        context.RequestTransforms.Add(headerRules);
        context.ResponseTransforms.Add(_hidden);
    }
}
