using System.Runtime.InteropServices;

namespace VideoDataset.Core.Models;

/// <summary>
/// Transparent huge pages for libtorch's large CPU tensors. With <c>THP_MEM_ALLOC_ENABLE=1</c> its CPU allocator
/// advises huge pages (<c>MADV_HUGEPAGE</c>) for every allocation of 2 MiB or more: a forward pass allocates and
/// frees activations and upcast weights of tens to hundreds of megabytes, and each then costs one fault per 2 MiB
/// instead of 512, with fewer TLB misses in the matmuls (the T5 encodes about 1.5x faster on this project's
/// machines; the bits are the same). libtorch reads the variable once, at its first allocation, from the C
/// environment, which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not change on Unix,
/// so the process sets it through libc before its first tensor. A value already set (0 to turn it off) is kept.
/// </summary>
public static partial class TorchHugePages
{
    public const string Variable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>
    /// Turns huge pages on for this process unless <see cref="Variable"/> is set already; call before the first tensor.
    /// Returns whether they are on. Linux only (elsewhere the variable is not read).
    /// </summary>
    public static bool Enable()
    {
        if (!OperatingSystem.IsLinux()) return false;
        SetIfUnset(Variable, "1");
        return Get(Variable) == "1";
    }

    /// <summary>Sets <paramref name="name"/> in the C environment when it is not set there (<c>setenv</c> without overwrite).</summary>
    internal static void SetIfUnset(string name, string value)
    {
        if (SetEnv(name, value, overwrite: 0) != 0)
            throw new InvalidOperationException($"setenv({name}) failed: error {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The C environment's value of <paramref name="name"/>, or null.</summary>
    internal static string? Get(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
