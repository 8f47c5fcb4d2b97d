using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Portico.Security.Waf;

/// <summary>
/// The one ModSecurity engine of the process and the lock every rule parse takes. libmodsecurity
/// 3.0.9's rule parser keeps state in globals, so two parses at once break each other even into
/// separate rule sets; a parsed set, by contrast, serves any number of threads.
/// </summary>
internal static class WafLibrary
{
    /// <summary>Debian's runtime package ships only the versioned name (the unversioned one is in -dev).</summary>
    public const string DefaultPath = "libmodsecurity.so.3";

    /// <summary>Where a non-Debian build of the library lives, e.g. /usr/local/modsecurity/lib/libmodsecurity.so.3.</summary>
    public const string PathVariable = "PORTICO_LIBMODSECURITY";

    public const string InstallHint = "apt-get install libmodsecurity3 modsecurity-crs";

    private static readonly Lock ParseGate = new();
    private static readonly Lazy<(nint Engine, string? Error)> Loaded = new(Load);

    /// <summary>The engine; only valid once <see cref="TryGetEngine"/> succeeded.</summary>
    public static nint Engine => Loaded.Value.Engine;

    /// <summary>Loads the library and creates the engine once; on failure says exactly what to install.</summary>
    public static bool TryGetEngine(out string? error)
    {
        error = Loaded.Value.Error;
        return error is null;
    }

    /// <summary>Runs a rule parse; never two at once in this process.</summary>
    public static T Parse<T>(Func<T> parse)
    {
        lock (ParseGate)
        {
            return parse();
        }
    }

    private static (nint, string?) Load()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured ? configured : DefaultPath;
        if (!NativeLibrary.TryLoad(path, out var handle))
        {
            return (0, path == DefaultPath
                ? $"the WAF needs libmodsecurity 3, which is not installed ({DefaultPath} not found); install it with: {InstallHint}"
                : $"the WAF needs libmodsecurity 3, but {PathVariable}={path} cannot be loaded; unset it to use Debian's, installed with: {InstallHint}");
        }

        NativeLibrary.SetDllImportResolver(typeof(WafLibrary).Assembly, (name, _, _) => name == ModSecurityNative.Library ? handle : 0);
        var engine = ModSecurityNative.msc_init();
        ModSecurityNative.msc_set_connector_info(engine, "Portico");
        unsafe
        {
            ModSecurityNative.msc_set_log_cb(engine, &OnRuleMessage);
        }

        return (engine, null);
    }

    /// <summary>
    /// The library reports each matched rule that logs as one text line; the data pointer is the
    /// one the transaction was created with: a GCHandle to that request's <see cref="WafMatches"/>.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnRuleMessage(nint data, nint message)
    {
        if (data == 0 || message == 0)
        {
            return;
        }

        // An exception must not cross back into C; a line we cannot read is dropped.
        try
        {
            if (GCHandle.FromIntPtr(data).Target is WafMatches matches && Marshal.PtrToStringUTF8(message) is { } text)
            {
                matches.Add(text);
            }
        }
        catch (Exception)
        {
        }
    }
}
