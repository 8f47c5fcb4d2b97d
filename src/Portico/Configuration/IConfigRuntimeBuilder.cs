using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>
/// A concern whose settings become state that only building it can validate (the WAF's parsed
/// rule sets). Builders run at every load after the other checks; what they report is a config
/// error like any other, so a bad reload is refused and the serving config keeps its state.
/// </summary>
internal interface IConfigRuntimeBuilder
{
    /// <summary>The state for <paramref name="settings"/>, or null when the config does not use the concern.</summary>
    IDisposable? Build(PorticoSettings settings, ConfigErrors errors, ConfigLines lines);
}
