using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Text;

namespace VideoDataset.Worker;

/// <summary>ModelDir=tiny: small deterministic models in the real formats, written once, atomically.</summary>
static class TinyModels
{
    public static int Write(string root)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        if (File.Exists(Path.Combine(root, ".complete"))) return 0;
        string temp = root + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            TinyVae.Write(Path.Combine(temp, "vae"));
            TinyT5.Write(Path.Combine(temp, "text_encoder"));
            Directory.CreateDirectory(Path.Combine(temp, "tokenizer"));
            using (var source = typeof(T5Tokenizer).Assembly.GetManifestResourceStream("VideoDataset.TinyModels.spiece.model")
                ?? throw new InvalidOperationException("the tiny spiece.model is not embedded in VideoDataset.Core"))
            using (var target = File.Create(Path.Combine(temp, "tokenizer", T5Tokenizer.ModelFile)))
                source.CopyTo(target);
            File.WriteAllText(Path.Combine(temp, ".complete"), "ModelDir=tiny, generator v1\n");
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true); // an incomplete earlier attempt
            Directory.CreateDirectory(Path.GetDirectoryName(root)!);
            Directory.Move(temp, root);
            Console.WriteLine($"VideoDataset.Worker: wrote the tiny models to {root}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
