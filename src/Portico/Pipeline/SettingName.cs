namespace Portico.Pipeline;

/// <summary>One property of a settings record, as a stage claims it (<see cref="IRouteStage.Settings"/>).</summary>
internal readonly record struct SettingName(Type Record, string Property)
{
    public static SettingName Of<TRecord>(string property) => new(typeof(TRecord), property);

    public override string ToString() => $"{Record.Name}.{Property}";
}
