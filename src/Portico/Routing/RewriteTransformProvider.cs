using Portico.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.Routing;

/// <summary>Adds the rewrite's transforms to every route: each looks up per request what the route asks, so a reload that changes only the rewrite needs no rebuilt transforms.</summary>
internal sealed class RewriteTransformProvider(ActiveConfig config) : ITransformProvider
{
    private readonly RewriteTransform _request = new();
    private readonly RewriteBackTransform _back = new(config);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.RequestTransforms.Add(_request);
        context.ResponseTransforms.Add(_back);
    }
}
