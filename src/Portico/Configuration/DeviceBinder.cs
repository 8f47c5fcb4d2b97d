using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `device` section and its `match.device` list.</summary>
internal static class DeviceBinder
{
    public static DeviceSettings? Bind(MapReader route)
    {
        var m = route.Section("device");
        if (m is null)
        {
            return null;
        }

        var d = new DeviceSettings();
        var header = m.String("header") ?? d.Header;
        if (!RouteBinder.IsToken(header))
        {
            m.Error("header", $"'{header}' is not a header name");
        }

        var settings = new DeviceSettings { Header = header, Vary = m.Bool("vary") ?? d.Vary };
        m.Finish();
        return settings;
    }

    /// <summary>`match.device`: the classes as one set; <see cref="DeviceClass.None"/> (any) when absent.</summary>
    public static DeviceClass BindMatch(MapReader match)
    {
        var classes = DeviceClass.None;
        foreach (var item in match.ScalarList("device") ?? [])
        {
            if (DeviceClassNames.Parse(item.Value) is { } device)
            {
                classes |= device;
            }
            else
            {
                match.Errors.Add(item.Line, match.Child("device"), $"'{item.Value}' is not one of: {string.Join(", ", DeviceClassNames.All)}");
            }
        }

        return classes;
    }
}
