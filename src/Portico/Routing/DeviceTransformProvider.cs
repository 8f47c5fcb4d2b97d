using Portico.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Portico.Routing;

/// <summary>Adds <see cref="DeviceVaryTransform"/> to every route: it looks up per request whether the route depends on the device class, so a reload that changes only that needs no rebuilt transforms.</summary>
internal sealed class DeviceTransformProvider(ActiveConfig config) : ITransformProvider
{
    private readonly DeviceVaryTransform _vary = new(config);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.ResponseTransforms.Add(_vary);
}
