using System.Runtime.InteropServices;

namespace VideoDataset.Core.Models;

/// <summary>
/// Settings of libtorch's native runtime that it reads from the C environment, not from .NET's copy of it: GNU
/// OpenMP's wait policy when libgomp loads (with libtorch) and the huge-page switch at libtorch's first allocation.
/// A process sets them before its first TorchSharp call, through libc's <c>setenv</c> (.NET's
/// <c>Environment.SetEnvironmentVariable</c> does not reach the C environment). A value already set is kept.
/// </summary>
public static class NativeRuntimeSettings
{
    /// <summary>
    /// For the VAE encoder on the CPU. Neither setting changes a computed bit (the same kernels on the same data,
    /// the same threads; tensor addresses stay 64-byte aligned), only the time around the convolutions:
    /// <list type="bullet">
    /// <item><c>OMP_WAIT_POLICY=PASSIVE</c>: an idle OpenMP thread sleeps at once instead of spinning (libgomp's
    /// default spins 300,000 rounds first), which cost a fifth of the encoder's CPU time on a busy machine;</item>
    /// <item><c>THP_MEM_ALLOC_ENABLE=1</c>: tensors of 2 MB and more are allocated on transparent huge pages, so each
    /// activation that a convolution allocates anew (input and output reorders, the output) faults once per 2 MB
    /// instead of once per 4 KB.</item>
    /// </list>
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> VaeCpu { get; } =
        [new("OMP_WAIT_POLICY", "PASSIVE"), new("THP_MEM_ALLOC_ENABLE", "1")];

    /// <summary>
    /// Sets each of <paramref name="settings"/> that the environment does not hold yet. Returns false, setting nothing,
    /// when libtorch's OpenMP runtime is already loaded (it has read its settings) or off Linux.
    /// </summary>
    public static bool Apply(IEnumerable<KeyValuePair<string, string>> settings)
    {
        if (!OperatingSystem.IsLinux() || RuntimeLoaded()) return false;
        foreach (var (name, value) in settings)
            if (setenv(name, value, 0) != 0)
                throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
        return true;
    }

    /// <summary>The C environment's value of <paramref name="name"/> (what libtorch sees), or null.</summary>
    public static string? Get(string name) => OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(getenv(name)) : Environment.GetEnvironmentVariable(name);

    /// <summary>Whether this process has loaded an OpenMP runtime or libtorch already.</summary>
    public static bool RuntimeLoaded() =>
        File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal) || l.Contains("libtorch_cpu", StringComparison.Ordinal));

    [DllImport("libc", SetLastError = true)]
    static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
