// Makes TorchSharp 0.107's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13.
// The library asks for GLIBCXX_3.4.32 only for the marker symbol _ZSt21ios_base_library_initv,
// which nothing relocates; marking that one version requirement weak (VER_FLG_WEAK) turns the
// loader's hard failure into nothing. The patch is applied to a copy, never to the NuGet cache.
// This file is compiled by RoslynCodeTaskFactory (eng/TorchSharpNative.targets) and by the tests.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
{
    /// <summary>The library to patch (left untouched).</summary>
    [Required] public string Source { get; set; } = "";
    /// <summary>Where the patched copy goes when a patch is needed.</summary>
    [Required] public string Destination { get; set; } = "";
    /// <summary>The version requirement to make weak.</summary>
    [Required] public string Version { get; set; } = "";
    /// <summary>System libstdc++ candidates; the first that exists decides whether a patch is needed.</summary>
    public string[] SystemLibraries { get; set; } = ElfVersionNeed.DefaultSystemLibraries;

    /// <summary>True when Destination holds a patched copy to use instead of Source.</summary>
    [Output] public bool Patched { get; set; }

    public override bool Execute()
    {
        try
        {
            if (ElfVersionNeed.SystemProvides(SystemLibraries, Version))
            {
                Log.LogMessage(MessageImportance.Low, $"The system libstdc++ provides {Version}; {Source} is used as it is.");
                return true;
            }
            byte[] elf = File.ReadAllBytes(Source);
            int changed = ElfVersionNeed.MarkWeak(elf, Version);
            if (changed == 0)
            {
                Log.LogMessage(MessageImportance.Low, $"{Source} does not require {Version}; used as it is.");
                return true;
            }
            Patched = true;
            if (File.Exists(Destination) && SameBytes(File.ReadAllBytes(Destination), elf)) return true; // incremental
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(Destination))!);
            string temp = Destination + ".tmp";
            File.WriteAllBytes(temp, elf);
            if (File.Exists(Destination)) File.Delete(Destination);
            File.Move(temp, Destination);
            Log.LogMessage(MessageImportance.Normal, $"Marked {Version} weak in a copy of {Path.GetFileName(Source)}: {Destination}");
            return true;
        }
        catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
        {
            Log.LogError(null, "VDS0901", null, Source, 0, 0, 0, 0, "Could not patch the native library: {0}", e.Message);
            return false;
        }
    }

    static bool SameBytes(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }
}

/// <summary>Reads and edits the GNU version-needs table (.gnu.version_r) of an ELF64 little-endian file.</summary>
public static class ElfVersionNeed
{
    public static readonly string[] DefaultSystemLibraries =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>Whether the first existing library defines the version (its name appears in the file).</summary>
    public static bool SystemProvides(string[] libraries, string version)
    {
        foreach (string path in libraries)
        {
            if (!File.Exists(path)) continue;
            byte[] bytes = File.ReadAllBytes(path);
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            return IndexOf(bytes, needle) >= 0;
        }
        return false;
    }

    /// <summary>Names of every version the file requires, with whether each is weak.</summary>
    public static (string file, string version, bool weak)[] List(byte[] elf)
    {
        var result = new System.Collections.Generic.List<(string, string, bool)>();
        Walk(elf, (file, name, flagsOffset) => result.Add((file, name, (U16(elf, flagsOffset) & VerFlgWeak) != 0)));
        return result.ToArray();
    }

    /// <summary>Sets VER_FLG_WEAK on every requirement of <paramref name="version"/>; returns how many changed.</summary>
    public static int MarkWeak(byte[] elf, string version)
    {
        int changed = 0;
        Walk(elf, (file, name, flagsOffset) =>
        {
            if (name != version) return;
            ushort flags = U16(elf, flagsOffset);
            if ((flags & VerFlgWeak) != 0) return;
            ushort weak = (ushort)(flags | VerFlgWeak);
            elf[flagsOffset] = (byte)weak;
            elf[flagsOffset + 1] = (byte)(weak >> 8);
            changed++;
        });
        return changed;
    }

    static void Walk(byte[] elf, Action<string, string, int> visit)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = checked((long)U64(elf, 0x28));
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)U64(elf, sh + 24));
            int count = (int)U32(elf, sh + 44);
            int strtab = checked((int)U64(elf, checked((int)(shoff + (long)U32(elf, sh + 40) * shentsize)) + 24));
            int need = offset;
            for (int n = 0; n < count; n++)
            {
                string file = CString(elf, strtab + (int)U32(elf, need + 4));
                int aux = need + (int)U32(elf, need + 8);
                for (int a = 0, cnt = U16(elf, need + 2); a < cnt; a++)
                {
                    visit(file, CString(elf, strtab + (int)U32(elf, aux + 8)), aux + 4);
                    aux += (int)U32(elf, aux + 12);
                }
                need += (int)U32(elf, need + 12);
            }
        }
    }

    // The task compiles against netstandard2.0 (RoslynCodeTaskFactory), so no spans here.
    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    static ushort U16(byte[] b, int o) => BitConverter.ToUInt16(b, o);
    static uint U32(byte[] b, int o) => BitConverter.ToUInt32(b, o);
    static ulong U64(byte[] b, int o) => BitConverter.ToUInt64(b, o);
    static string CString(byte[] b, int o) { int end = Array.IndexOf(b, (byte)0, o); return Encoding.ASCII.GetString(b, o, end - o); }
}
