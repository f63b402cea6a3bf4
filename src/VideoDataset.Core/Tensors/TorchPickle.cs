using System.Buffers.Binary;
using System.Text;

namespace VideoDataset.Core.Tensors;

/// <summary>
/// The data.pkl of a one-tensor file, as torch.save writes it (pickle protocol 2):
/// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())</c>
/// where <c>storage</c> is a persistent id <c>('storage', torch.XStorage, key, location, numel)</c>
/// that torch.load resolves to the record <c>data/&lt;key&gt;</c>. Both globals are on torch's
/// weights_only allow-list.
/// </summary>
internal static class TorchPickle
{
    // Pickle opcodes used here (Python's Lib/pickle.py names).
    const byte MARK = (byte)'(', STOP = (byte)'.', BININT = (byte)'J', BININT1 = (byte)'K', BININT2 = (byte)'M',
        NONE = (byte)'N', BINPERSID = (byte)'Q', REDUCE = (byte)'R', BINUNICODE = (byte)'X', GLOBAL = (byte)'c',
        TUPLE = (byte)'t', EMPTY_TUPLE = (byte)')', EMPTY_DICT = (byte)'}', BINGET = (byte)'h', LONG_BINGET = (byte)'j',
        BINPUT = (byte)'q', LONG_BINPUT = (byte)'r', PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87,
        NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, SHORT_BINUNICODE = 0x8c, MEMOIZE = 0x94;

    public const string RebuildModule = "torch._utils", RebuildName = "_rebuild_tensor_v2";

    public static string StorageTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "FloatStorage",
        TensorDType.Float16 => "HalfStorage",
        _ => "BFloat16Storage",
    };

    public static TensorDType? DTypeOfStorage(string storageType) => storageType switch
    {
        "FloatStorage" => TensorDType.Float32,
        "HalfStorage" => TensorDType.Float16,
        "BFloat16Storage" => TensorDType.BFloat16,
        _ => null,
    };

    /// <summary>Contiguous strides as torch computes them (a zero-size dimension counts as 1).</summary>
    public static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= Math.Max(shape[i], 1); }
        return strides;
    }

    public static byte[] Write(TensorDType dtype, long[] shape, string storageKey)
    {
        var p = new MemoryStream();
        p.WriteByte(PROTO); p.WriteByte(2);
        Global(p, RebuildModule, RebuildName);
        p.WriteByte(MARK);
        {
            p.WriteByte(MARK);
            Str(p, "storage");
            Global(p, "torch", StorageTypeName(dtype));
            Str(p, storageKey);
            Str(p, "cpu");
            Int(p, TensorData.ElementCount(shape));
            p.WriteByte(TUPLE);
            p.WriteByte(BINPERSID);
            Int(p, 0);                               // storage offset
            IntTuple(p, shape);
            IntTuple(p, ContiguousStrides(shape));
            p.WriteByte(NEWFALSE);                   // requires_grad
            Global(p, "collections", "OrderedDict");   // backward hooks: an empty OrderedDict()
            p.WriteByte(EMPTY_TUPLE);
            p.WriteByte(REDUCE);
        }
        p.WriteByte(TUPLE);
        p.WriteByte(REDUCE);
        p.WriteByte(STOP);
        return p.ToArray();
    }

    static void Global(Stream p, string module, string name)
    {
        p.WriteByte(GLOBAL);
        p.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    static void Str(Stream p, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        p.WriteByte(BINUNICODE);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, b.Length);
        p.Write(len); p.Write(b);
    }

    static void Int(Stream p, long v)
    {
        Span<byte> b = stackalloc byte[8];
        if (v >= 0 && v < 0x100) { p.WriteByte(BININT1); p.WriteByte((byte)v); }
        else if (v >= 0 && v < 0x10000) { p.WriteByte(BININT2); BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); p.Write(b[..2]); }
        else if (v >= int.MinValue && v <= int.MaxValue) { p.WriteByte(BININT); BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); p.Write(b[..4]); }
        else
        {
            // LONG1: little-endian two's complement, as few bytes as keep the sign.
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            int n = 8;
            while (n > 1 && ((b[n - 1] == 0 && b[n - 2] < 0x80) || (b[n - 1] == 0xFF && b[n - 2] >= 0x80))) n--;
            p.WriteByte(LONG1); p.WriteByte((byte)n); p.Write(b[..n]);
        }
    }

    static void IntTuple(Stream p, long[] values)
    {
        if (values.Length > 3) p.WriteByte(MARK);
        foreach (long v in values) Int(p, v);
        p.WriteByte(values.Length switch { 0 => EMPTY_TUPLE, 1 => TUPLE1, 2 => TUPLE2, 3 => TUPLE3, _ => TUPLE });
    }

    // ---- Reading: a small stack machine over the opcodes torch.save emits for a tensor. It builds
    // plain values and evaluates only the two calls a tensor needs; anything else is rejected, so
    // reading never runs code.

    sealed record Global_(string Module, string Name);
    sealed record Storage_(object?[] Id);
    sealed record OrderedDict_;
    sealed class Mark_ { public static readonly Mark_ Instance = new(); }

    /// <summary>Parses data.pkl; <paramref name="fail"/> makes the exception for a message.</summary>
    public static TorchTensorSpec Read(byte[] pickle, Func<string, Exception> fail)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        int pos = 0;

        ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || pos + n > pickle.Length) throw fail("data.pkl ends in the middle of an instruction");
            var s = pickle.AsSpan(pos, n); pos += n; return s;
        }
        string Line()
        {
            int end = Array.IndexOf(pickle, (byte)'\n', pos);
            if (end < 0) throw fail("data.pkl ends in the middle of an instruction");
            string s = Encoding.UTF8.GetString(pickle, pos, end - pos); pos = end + 1; return s;
        }
        object? Pop()
        {
            if (stack.Count == 0 || stack[^1] is Mark_) throw fail("data.pkl is malformed (stack underflow)");
            var v = stack[^1]; stack.RemoveAt(stack.Count - 1); return v;
        }
        object?[] PopToMark()
        {
            int m = stack.FindLastIndex(x => x is Mark_);
            if (m < 0) throw fail("data.pkl is malformed (no mark)");
            var items = stack.GetRange(m + 1, stack.Count - m - 1).ToArray();
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }

        while (true)
        {
            byte op = Take(1)[0];
            switch (op)
            {
                case PROTO: Take(1); break;
                case GLOBAL: { string module = Line(); stack.Add(new Global_(module, Line())); break; }
                case MARK: stack.Add(Mark_.Instance); break;
                case BINUNICODE: stack.Add(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case SHORT_BINUNICODE: stack.Add(Encoding.UTF8.GetString(Take(Take(1)[0]))); break;
                case BININT1: stack.Add((long)Take(1)[0]); break;
                case BININT2: stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case BININT: stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case LONG1:
                {
                    var b = Take(Take(1)[0]);
                    if (b.Length > 8) throw fail("data.pkl holds an integer too large for a tensor dimension");
                    long v = b.Length > 0 && (b[^1] & 0x80) != 0 ? -1 : 0;
                    for (int i = b.Length - 1; i >= 0; i--) v = (v << 8) | b[i];
                    stack.Add(v);
                    break;
                }
                case NEWTRUE: stack.Add(true); break;
                case NEWFALSE: stack.Add(false); break;
                case NONE: stack.Add(null); break;
                case EMPTY_TUPLE: stack.Add(Array.Empty<object?>()); break;
                case EMPTY_DICT: stack.Add(new OrderedDict_()); break;
                case TUPLE: stack.Add(PopToMark()); break;
                case TUPLE1: { var a = Pop(); stack.Add(new[] { a }); break; }
                case TUPLE2: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                case TUPLE3: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                case BINPUT: memo[Take(1)[0]] = Peek(); break;
                case LONG_BINPUT: memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                case MEMOIZE: memo[memo.Count] = Peek(); break;
                case BINGET: stack.Add(Memo(Take(1)[0])); break;
                case LONG_BINGET: stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case BINPERSID:
                {
                    if (Pop() is not object?[] id || id.Length != 5 || id[0] as string != "storage")
                        throw fail("data.pkl refers to something other than a storage");
                    stack.Add(new Storage_(id));
                    break;
                }
                case REDUCE:
                {
                    var args = Pop() as object?[] ?? throw fail("data.pkl is malformed (call without an argument tuple)");
                    var func = Pop();
                    stack.Add(Call(func, args, fail));
                    break;
                }
                case STOP:
                {
                    var result = Pop();
                    if (stack.Count != 0) throw fail("data.pkl is malformed (values left on the stack)");
                    if (pos != pickle.Length) throw fail("data.pkl has bytes after its end");
                    return result as TorchTensorSpec ?? throw fail("data.pkl does not hold a single tensor");
                }
                default:
                    throw fail($"data.pkl uses pickle instruction 0x{op:x2}, which a tensor file never contains");
            }
        }

        object? Peek() => stack.Count > 0 ? stack[^1] : throw fail("data.pkl is malformed (memo of an empty stack)");
        object? Memo(long key) => memo.TryGetValue(key, out var v) ? v : throw fail("data.pkl is malformed (unknown memo entry)");
    }

    static object Call(object? func, object?[] args, Func<string, Exception> fail)
    {
        if (func is Global_("collections", "OrderedDict") && args.Length == 0) return new OrderedDict_();
        if (func is not Global_(RebuildModule, RebuildName))
            throw fail($"data.pkl calls {Describe(func)}; a tensor file only calls {RebuildModule}.{RebuildName}");
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Length is < 6 or > 7 || args[0] is not Storage_ storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride || args[4] is not bool
            || args[5] is not OrderedDict_ || (args.Length == 7 && args[6] is not (null or OrderedDict_)))
            throw fail($"data.pkl calls {RebuildName} with arguments of the wrong kinds");
        var id = storage.Id;
        if (id[1] is not Global_(var module, var typeName) || (module != "torch")
            || id[2] is not string key || id[3] is not string || id[4] is not long numel)
            throw fail("data.pkl has a malformed storage reference");
        return new TorchTensorSpec(typeName, key, numel, offset, Longs(size, fail), Longs(stride, fail));
    }

    static long[] Longs(object?[] items, Func<string, Exception> fail) =>
        items.Select(x => x is long v ? v : throw fail("data.pkl has a non-integer size or stride")).ToArray();

    static string Describe(object? func) => func is Global_ g ? $"{g.Module}.{g.Name}" : "a non-function";
}
