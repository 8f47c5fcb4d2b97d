using Portico.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.BodyRewrite;

/// <summary>Adds the body rewriting's transforms to every route: each looks up per request whether the route rewrites, so a reload that changes only that needs no rebuilt transforms.</summary>
internal sealed class BodyRewriteTransformProvider(ActiveConfig config, BodyRewriteMetrics metrics, BodyRewriteLog log) : ITransformProvider
{
    private readonly BodyRewriteRequestTransform _request = new(config);
    private readonly BodyRewriteResponseTransform _response = new(config, metrics, log);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.RequestTransforms.Add(_request);
        context.ResponseTransforms.Add(_response);
    }
}
