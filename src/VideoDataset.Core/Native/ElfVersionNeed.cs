// Reads and edits the GNU version-needs table of an ELF file. TorchSharp 0.107's libLibTorchSharp.so
// asks for GLIBCXX_3.4.32 (GCC 13) only for the marker symbol _ZSt21ios_base_library_initv, which
// nothing relocates; marking that one requirement weak (VER_FLG_WEAK) lets it load on Debian 12.
using System.Text;

namespace VideoDataset.Core.Native;

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
