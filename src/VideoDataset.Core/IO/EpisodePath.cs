using System.Runtime.InteropServices;

namespace VideoDataset.Core.IO;

/// <summary>
/// Paths that come from annotations are relative to a declared folder and must stay inside it,
/// also through symbolic links: the build never reads or writes outside its declared folders.
/// </summary>
public static partial class EpisodePath
{
    /// <summary>Forward-slash relative form, or the reason the path is refused.</summary>
    public static (string? Path, string? Problem) Normalise(string path)
    {
        string p = path.Replace('\\', '/');
        if (p.StartsWith('/') || (p.Length >= 2 && p[1] == ':'))
            return (null, $"'{path}' is absolute: expected a path relative to EpisodeDir.");
        var parts = new List<string>();
        foreach (string part in p.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") return (null, $"'{path}' contains '..': expected a path inside EpisodeDir.");
            if (part.IndexOf('\0') >= 0) return (null, $"'{path}' contains a NUL character.");
            parts.Add(part);
        }
        if (parts.Count == 0) return (null, $"'{path}' names no file: expected a path relative to EpisodeDir.");
        return (string.Join('/', parts), null);
    }

    /// <summary>Whether <paramref name="path"/>, with every symbolic link resolved, lies under <paramref name="root"/> (also resolved).</summary>
    public static bool StaysInside(string root, string path)
    {
        string r = Resolve(root).TrimEnd('/') + "/";
        return Resolve(path).StartsWith(r, StringComparison.Ordinal);
    }

    /// <summary>
    /// <see cref="StaysInside(string, string)"/> for many files under one root, resolving each folder
    /// once: a file that is not itself a symbolic link resolves to its resolved folder plus its name,
    /// so 100,000 videos in 1,000 folders cost 1,000 realpath calls, and the stat the caller made
    /// anyway says which files are links.
    /// </summary>
    public sealed class InsideCheck(string root)
    {
        readonly string _root = Resolve(root).TrimEnd('/') + "/";
        readonly Dictionary<string, string> _folders = new(StringComparer.Ordinal);

        /// <param name="file">An existing file (its status is read once and kept by the FileInfo).</param>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public bool StaysInside(FileInfo file)
        {
            string? folder = file.DirectoryName;
            if (OperatingSystem.IsWindows() || folder is null || !IsPlainFile(file))
                return Resolve(file.FullName).StartsWith(_root, StringComparison.Ordinal);
            if (!_folders.TryGetValue(folder, out string? resolved)) _folders[folder] = resolved = Resolve(folder).TrimEnd('/');
            return (resolved + "/" + file.Name).StartsWith(_root, StringComparison.Ordinal);
        }
    }

    /// <summary>A regular file that is no symbolic link (lstat's answer, which the FileInfo keeps).</summary>
    public static bool IsPlainFile(FileInfo file) =>
        file.Exists && (file.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Directory)) == 0;

    /// <summary>The canonical absolute path (realpath(3)); the path itself if it cannot be resolved.</summary>
    public static string Resolve(string path)
    {
        if (OperatingSystem.IsWindows()) return System.IO.Path.GetFullPath(path);
        IntPtr resolved = RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return System.IO.Path.GetFullPath(path);
        try { return Marshal.PtrToStringUTF8(resolved)!; }
        finally { Marshal.FreeHGlobal(resolved); } // realpath mallocs; FreeHGlobal is free() on Unix
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);
}
