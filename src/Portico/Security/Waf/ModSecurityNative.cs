using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Portico.Security.Waf;

/// <summary>
/// The C API of libmodsecurity 3 (modsecurity/modsecurity.h, rules_set.h, transaction.h,
/// intervention.h), bound with source-generated marshalling. Pointers stay opaque: a
/// ModSecurity engine, a RulesSet and a Transaction are only ever passed back to the library.
/// </summary>
internal static partial class ModSecurityNative
{
    /// <summary>The name the imports use; <see cref="WafLibrary"/> resolves it to the real file.</summary>
    public const string Library = "modsecurity";

    /// <summary>ModSecurityIntervention: the library fills it; `url` and `log` are malloc'd and become the caller's to free.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Intervention
    {
        public int Status;
        public int Pause;
        public nint Url;
        public nint Log;
        public int Disruptive;
    }

    [LibraryImport(Library)]
    public static partial nint msc_init();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void msc_set_connector_info(nint msc, string connector);

    [LibraryImport(Library)]
    public static unsafe partial void msc_set_log_cb(nint msc, delegate* unmanaged[Cdecl]<nint, nint, void> callback);

    [LibraryImport(Library)]
    public static partial nint msc_create_rules_set();

    /// <summary>Parses <paramref name="rules"/> into the set; returns the rule count, or -1 with a strdup'd message in <paramref name="error"/>.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int msc_rules_add(nint rules, string rules_text, out nint error);

    [LibraryImport(Library)]
    public static partial int msc_rules_cleanup(nint rules);

    /// <summary>The library copies <paramref name="id"/>; the pointer only has to live for the call.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint msc_new_transaction_with_id(nint msc, nint rules, string id, nint logCbData);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int msc_process_connection(nint transaction, string client, int clientPort, string server, int serverPort);

    /// <summary>The second argument is the request method (the header calls it "protocol").</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int msc_process_uri(nint transaction, string uri, string method, string httpVersion);

    [LibraryImport(Library)]
    public static unsafe partial int msc_add_n_request_header(nint transaction, byte* key, nuint keyLength, byte* value, nuint valueLength);

    [LibraryImport(Library)]
    public static partial int msc_process_request_headers(nint transaction);

    [LibraryImport(Library)]
    public static unsafe partial int msc_append_request_body(nint transaction, byte* body, nuint size);

    [LibraryImport(Library)]
    public static partial int msc_process_request_body(nint transaction);

    [LibraryImport(Library)]
    public static partial int msc_intervention(nint transaction, ref Intervention intervention);

    [LibraryImport(Library)]
    public static partial void msc_transaction_cleanup(nint transaction);

    /// <summary>The library allocates with malloc; NativeMemory.Free is the C runtime's free.</summary>
    public static unsafe void free(nint pointer) => NativeMemory.Free((void*)pointer);

    /// <summary>Frees a string the library allocated for us, when there is one.</summary>
    public static void FreeIfSet(nint pointer)
    {
        if (pointer != 0)
        {
            free(pointer);
        }
    }

    /// <summary>Reads and frees a string the library allocated for us.</summary>
    public static string? TakeString(nint pointer)
    {
        if (pointer == 0)
        {
            return null;
        }

        var text = Marshal.PtrToStringUTF8(pointer);
        free(pointer);
        return text;
    }

    [SkipLocalsInit]
    public static unsafe int AddHeader(nint transaction, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        fixed (byte* n = name)
        fixed (byte* v = value)
        {
            return msc_add_n_request_header(transaction, n, (nuint)name.Length, v, (nuint)value.Length);
        }
    }

    public static unsafe int AppendBody(nint transaction, ReadOnlySpan<byte> body)
    {
        fixed (byte* b = body)
        {
            return msc_append_request_body(transaction, b, (nuint)body.Length);
        }
    }
}
