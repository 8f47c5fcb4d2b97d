using System.Reflection;
using System.Runtime.InteropServices;

namespace Portico.Cli;

internal static class VersionInfo
{
    public static string Version => typeof(VersionInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string Describe()
    {
        var yarp = typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly.GetName().Version;
        return $"portico {Version} ({RuntimeInformation.FrameworkDescription}, YARP {yarp?.ToString(3)}, {RuntimeInformation.RuntimeIdentifier})";
    }
}
