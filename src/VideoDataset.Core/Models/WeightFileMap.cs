using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using VideoDataset.Core.Tensors;
using static TorchSharp.torch;

namespace VideoDataset.Core.Models;

/// <summary>
/// Weight tensors that are views of their files' pages rather than copies: each file is mapped once, private and
/// copy-on-write (libtorch's <c>from_file</c>), and a weight kept in its stored dtype on the CPU becomes a view of
/// its bytes, made resident at once. A copy into new memory costs a page fault and a zeroed page for every 4 KiB
/// before the copy itself (on this project's machines, more than reading the file from a warm page cache); a
/// mapped page of the page cache costs neither, and the model and the page cache are the same memory, where a
/// copy needs both. The views keep their file's mapping alive after this object is disposed.
/// </summary>
/// <remarks>
/// Linux only, and only where the kernel can populate a mapping without touching it
/// (<c>MADV_POPULATE_READ</c>, Linux 5.14): that returns an error for a page that cannot be read, where touching
/// it would kill the process. Every weight that cannot be mapped (another dtype or device, a misaligned offset,
/// an empty tensor, an older kernel, any error) is read as before. Half-precision weights are mapped wherever they
/// start (the CPU computes in float32 and upcasts them into aligned buffers first); F32 weights only where they
/// start on 64 bytes, as a tensor of libtorch's does, so that the output bits never depend on the loader. A weight file that is rewritten in place while a
/// model is loaded changes or (cut short) faults the model: files are replaced, as <c>AtomicFile</c> and model
/// downloads do, not rewritten.
/// </remarks>
public sealed partial class WeightFileMap : IDisposable
{
    /// <summary>Where tensor <c>name</c>'s bytes start in which file (absolute offset).</summary>
    public delegate (string Path, long Offset) Locator(string name);

    /// <summary>
    /// Whether the loaders map weight files (the default where supported) or read every weight into new memory.
    /// Benchmarks set it to compare the two; the results are the same bits either way.
    /// </summary>
    public static bool Enabled { get; set; } = OperatingSystem.IsLinux();

    // Cleared when the kernel refuses MADV_POPULATE_READ, so that the rest of the load reads without retrying.
    static volatile bool s_kernelSupports = true;

    readonly Locator _locate;
    // One mapping per file and dtype (a view cannot change dtype in this TorchSharp): the whole file as a flat
    // tensor of that dtype. Only the pages of the weights taken from it become resident. A load maps a file or
    // two, so a list is searched.
    readonly List<MappedFile> _files = new();

    // Elements is null for a file that could not be mapped (its weights are read).
    sealed record MappedFile(string Path, TensorDType DType, Tensor? Elements, IntPtr Base);

    public WeightFileMap(Locator locate) => _locate = locate;

    /// <summary>A map for this load, or null when mapping is off or unsupported here.</summary>
    public static WeightFileMap? For(Locator locate) => Enabled && OperatingSystem.IsLinux() && s_kernelSupports ? new WeightFileMap(locate) : null;

    /// <summary>
    /// <paramref name="entry"/> as a CPU tensor of its stored dtype whose storage is its file's mapped pages, all
    /// resident; null when it cannot be mapped (the caller reads it instead).
    /// </summary>
    public Tensor? TryMap(SafetensorsEntry entry)
    {
        if (!s_kernelSupports || entry.ByteLength == 0) return null;
        var (path, offset) = _locate(entry.Name);
        long size = TensorData.ElementSize(entry.DType);
        // The file is viewed as elements of the weight's dtype, so the weight must start on one. A weight that
        // computes as it is (not a half-precision one, which the CPU upcasts at use) must also be as aligned as
        // libtorch's allocator makes tensors: BLAS kernels may round differently at other alignments.
        if (offset < 0 || offset % size != 0) return null;
        if (entry.DType is not (TensorDType.BFloat16 or TensorDType.Float16) && offset % ComputeAlignment != 0) return null;
        if (MapFile(path, entry.DType) is not { Elements: { } elements, Base: var start }) return null;
        if ((offset + entry.ByteLength) / size > elements.shape[0]) return null;
        if (!Populate(start + (nint)offset, entry.ByteLength)) return null;
        using var range = elements.narrow(0, offset / size, entry.ByteLength / size);
        return range.view(entry.Shape);
    }

    MappedFile MapFile(string path, TensorDType dtype)
    {
        foreach (var known in _files)
            if (known.DType == dtype && known.Path == path) return known;
        Tensor? elements = null;
        IntPtr start = IntPtr.Zero;
        try
        {
            long count = new FileInfo(path).Length / TensorData.ElementSize(dtype);
            if (count > 0)
            {
                // shared: false is a private mapping (MAP_PRIVATE): a write would copy the page, never reach the file.
                var whole = torch.from_file(path, shared: false, size: count, dtype: TorchConvert.ToScalarType(dtype));
                unsafe
                {
                    using var first = whole.narrow(0, 0, 1);
                    start = (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
                }
                elements = whole;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ExternalException) { }
        var mapped = new MappedFile(path, dtype, elements, start);
        _files.Add(mapped);
        return mapped;
    }

    // Faults every page of [address, address + length) in, reading from the file where the page cache lacks it.
    static bool Populate(IntPtr address, long length)
    {
        long page = Environment.SystemPageSize;
        long start = address.ToInt64() / page * page;
        if (Madvise((IntPtr)start, (nuint)(address.ToInt64() + length - start), MadvPopulateRead) == 0) return true;
        if (Marshal.GetLastPInvokeError() == EInval) s_kernelSupports = false;
        return false;
    }

    const int MadvPopulateRead = 22, EInval = 22;
    // libtorch's CPU allocator aligns to 64 bytes (a mapping starts on a page, so file offsets give the alignment).
    const long ComputeAlignment = 64;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(IntPtr address, nuint length, int advice);

    public void Dispose()
    {
        foreach (var file in _files) file.Elements?.Dispose();
        _files.Clear();
    }
}
