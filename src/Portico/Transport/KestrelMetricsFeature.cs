using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Portico.Transport;

/// <summary>
/// Kestrel's per-connection metrics feature, for a connection its dispatcher never saw
/// (<see cref="LoopDispatcher"/>). Kestrel's HTTP, HTTPS and connection-limit middleware ask
/// each connection for it with GetRequiredFeature, and both the feature's interface and its
/// context are internal to Kestrel (ASP.NET Core 10: IConnectionMetricsContextFeature and
/// ConnectionMetricsContext in Kestrel.Core's Internal.Infrastructure), so they are found by
/// name and the feature is made through <see cref="DispatchProxy"/>, which may implement a
/// non-public interface. The context has every instrument off: such a connection is not counted
/// in Kestrel's own meter (Portico counts its connections in its own). When either type is not
/// found (another Kestrel), <see cref="Found"/> is null and connections keep Kestrel's dispatcher.
/// </summary>
internal static class KestrelMetricsFeature
{
    private const string Namespace = "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Infrastructure.";

    /// <summary>The feature's type (the key it is set under) and a maker of one for a connection; null when this Kestrel has none such.</summary>
    public static readonly (Type Feature, Func<BaseConnectionContext, object> Make)? Found = Find();

    // The release build trims Kestrel (scripts/publish.sh): the two types are kept whole, so
    // what is looked up by name is there; the reflection over them is then safe to trim.
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, Namespace + "IConnectionMetricsContextFeature", "Microsoft.AspNetCore.Server.Kestrel.Core")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, Namespace + "ConnectionMetricsContext", "Microsoft.AspNetCore.Server.Kestrel.Core")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Both types are kept whole by the DynamicDependency above.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "As above.")]
    private static (Type, Func<BaseConnectionContext, object>)? Find()
    {
        try
        {
            var assembly = typeof(KestrelServerOptions).Assembly;
            var feature = assembly.GetType(Namespace + "IConnectionMetricsContextFeature");
            var context = assembly.GetType(Namespace + "ConnectionMetricsContext");
            var owner = context?.GetProperty("ConnectionContext", BindingFlags.Public | BindingFlags.Instance);
            if (feature is not { IsInterface: true } || context?.GetConstructor(Type.EmptyTypes) is null || owner?.SetMethod is null
                || feature.GetProperty("MetricsContext")?.PropertyType != context || feature.GetMethods().Length != 1)
            {
                return null;
            }

            // new ConnectionMetricsContext { ConnectionContext = connection }: every instrument off.
            var parameter = Expression.Parameter(typeof(BaseConnectionContext), "connection");
            var newContext = Expression.Lambda<Func<BaseConnectionContext, object>>(
                Expression.Convert(Expression.MemberInit(Expression.New(context), Expression.Bind(owner, parameter)), typeof(object)),
                parameter).Compile();
            // Made once here, so a Kestrel whose feature cannot be made fails now, not per
            // connection; each connection's is a copy of it. DispatchProxy.Create per connection
            // made the proxy through Activator.CreateInstance with its arguments, a binder's
            // search each time: about 290 of the 3,470 bytes a new connection allocated (issue 25).
            var prototype = (Proxy)DispatchProxy.Create(feature, typeof(Proxy));
            prototype.Context = newContext(new DefaultConnectionContext());
            return (feature, connection => prototype.CopyFor(newContext(connection)));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TypeLoadException or MemberAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The feature: its one member, the MetricsContext getter, answers the context.</summary>
    public class Proxy : DispatchProxy
    {
        public object? Context { get; set; }

        /// <summary>
        /// Another proxy of the generated type, answering <paramref name="context"/>: a copy of
        /// this one's fields (the generated type's own are the interface's methods, the same for all).
        /// </summary>
        public Proxy CopyFor(object context)
        {
            var copy = (Proxy)MemberwiseClone();
            copy.Context = context;
            return copy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => Context;
    }
}
