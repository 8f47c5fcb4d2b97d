namespace Portico.Configuration.Model;

/// <summary>The names of <see cref="DeviceClass"/> in config, headers sent to backends and logs.</summary>
internal static class DeviceClassNames
{
    public const string Desktop = "desktop";
    public const string Mobile = "mobile";
    public const string Tablet = "tablet";
    public const string Bot = "bot";

    public static readonly IReadOnlyList<string> All = [Mobile, Tablet, Desktop, Bot];

    public static string Of(DeviceClass device) => device switch
    {
        DeviceClass.Mobile => Mobile,
        DeviceClass.Tablet => Tablet,
        DeviceClass.Bot => Bot,
        _ => Desktop,
    };

    public static DeviceClass? Parse(string name) => name switch
    {
        Desktop => DeviceClass.Desktop,
        Mobile => DeviceClass.Mobile,
        Tablet => DeviceClass.Tablet,
        Bot => DeviceClass.Bot,
        _ => null,
    };
}
