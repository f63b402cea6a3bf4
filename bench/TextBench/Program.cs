// Text benchmark: T5 encoder tokens/s and T5Tokenizer throughput on the CPU.
//   dotnet run -c Release --project bench/TextBench -- [--length 498] [--batches 1,8] [--configs tiny,mid|none]
//       [--tokenizers tiny,t5] [--min-seconds 5] [--threads N] [--pipeline-batches N]
// Pipeline rows (--pipeline-batches, default 8, 0 for none): the text stage's loop over N batches of corpus texts,
// tokenizing each batch before encoding it ("inline", as before) and tokenizing the next batch on another thread
// while the encoder runs ("ahead", as the worker does now); "input wait" is how long the encoder waited for ids.
// Encoder: T5TextEncoder.Encode (forward pass and the bfloat16 output conversion, as the pipeline calls it) on
// texts of the tokenizer corpus padded to TextMaxLength; one untimed warm-up batch, then whole batches until
// --min-seconds have passed (at least 2). Every position counts as a token, padding included, because the
// encoder computes them all. Models: TinyT5 (ModelDir=tiny) and a mid-size T5 v1.1 encoder with TinyT5's
// deterministic initialisation. Tokenizer: T5Tokenizer.Encode(text, length) over every line of
// tests/VideoDataset.Tests/TestData/tokenizer_parity_corpus.txt, repeated passes after one warm-up pass; tokens
// are the ids before padding (with </s>). Tokenizer models: tiny (the ModelDir=tiny spiece.model) and t5 (the
// published 32,000-piece model in ../shared/data/t5-spiece/ beside the repository, skipped when absent).
using static BenchSupport;
using System.Diagnostics;
using TorchSharp;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Text;

int length = int.Parse(Option("--length", "498"));
int[] batches = Option("--batches", "1,8").Split(',').Select(int.Parse).ToArray();
string[] names = Option("--configs", "tiny,mid").Split(',').Where(n => n != "none").ToArray();
string[] tokenizerNames = Option("--tokenizers", "tiny,t5").Split(',');
double minSeconds = double.Parse(Option("--min-seconds", "5"), System.Globalization.CultureInfo.InvariantCulture);
if (Option("--threads", "") is { Length: > 0 } threads) torch.set_num_threads(int.Parse(threads));

var configs = new Dictionary<string, T5Config>
{
    ["tiny"] = TinyT5.Config,
    // t5-small's widths with a gated-GELU feed-forward (v1.1, as CogVideoX's T5-XXL) and the real vocabulary size.
    ["mid"] = TinyT5.Config with { VocabSize = 32128, DModel = 512, NumLayers = 8, DFf = 1024, NumHeads = 8, DKv = 64 },
};

string repo = FindRepo();
string corpusPath = Path.Combine(repo, "tests/VideoDataset.Tests/TestData/tokenizer_parity_corpus.txt");
var tokenizerDirs = new Dictionary<string, string>
{
    ["tiny"] = Path.Combine(repo, "src/VideoDataset.Core/TinyModels/tokenizer"),
    ["t5"] = Path.GetFullPath(Path.Combine(repo, "../shared/data/t5-spiece")),
};
string[] texts = File.ReadAllText(corpusPath).Split('\n');
if (texts[^1].Length == 0) texts = texts[..^1];
var tokenizer = T5Tokenizer.Load(tokenizerDirs["tiny"]);
int pipelineBatches = int.Parse(Option("--pipeline-batches", "8"));
// The pipeline rows tokenize with the published model when it is there (longer texts, more pieces), else the tiny one.
string pipelineTokenizerName = File.Exists(Path.Combine(tokenizerDirs["t5"], T5Tokenizer.ModelFile)) ? "t5" : "tiny";
var pipelineTokenizer = T5Tokenizer.Load(tokenizerDirs[pipelineTokenizerName]);

Console.WriteLine($"TextBench: length {length}, CPU float32, torch threads {torch.get_num_threads()}, {Environment.ProcessorCount} cores");
Console.WriteLine($"load average at start: {LoadAverage()}");
var rows = new List<string>();

// Tokenizer.
foreach (string tokenizerName in tokenizerNames)
{
    string tokenizerDir = tokenizerDirs[tokenizerName];
    if (!File.Exists(Path.Combine(tokenizerDir, T5Tokenizer.ModelFile)))
    {
        Console.WriteLine($"tokenizer {tokenizerName}: no {T5Tokenizer.ModelFile} in {tokenizerDir}, skipped");
        continue;
    }
    T5Tokenizer.Load(tokenizerDir);   // the first load also compiles the loading code
    var loadWatch = Stopwatch.StartNew();
    var measured = T5Tokenizer.Load(tokenizerDir);
    double loadMs = loadWatch.Elapsed.TotalMilliseconds;
    string load = LoadAverage();
    long tokens = 0;
    // Warm-up pass, which also counts the tokens of one pass (truncated to the length, as Encode does).
    foreach (var t in texts) tokens += Math.Min(measured.EncodeUnpadded(t).Length, length);
    int passes = 0;
    var sw = Stopwatch.StartNew();
    while (passes < 2 || sw.Elapsed.TotalSeconds < minSeconds)
    {
        foreach (var t in texts) measured.Encode(t, length);
        passes++;
    }
    sw.Stop();
    double s = sw.Elapsed.TotalSeconds;
    rows.Add($"| T5Tokenizer.Encode, {tokenizerName} spiece.model ({measured.SentencePieceSize} pieces, Load {loadMs:F0} ms) | {texts.Length} corpus texts x {passes} passes | {s / passes / texts.Length * 1e6:F0} µs/text | " +
             $"{texts.Length * passes / s:F0} texts/s | {tokens * passes / s:F0} tokens/s | {load} |");
    Console.WriteLine(rows[^1]);
}

// Encoder.
var ids = texts.Select(t => tokenizer.Encode(t, length)).ToArray();
string dir = Path.Combine(Path.GetTempPath(), "textbench-" + Environment.ProcessId);
try
{
    foreach (string name in names)
    {
        var config = configs[name];
        string modelDir = Path.Combine(dir, name);
        TinyT5.Write(modelDir, config, TinyT5.Seed);
        foreach (int batch in batches)
        {
            using var encoder = T5TextEncoder.Load(modelDir, torch.CPU, batch);
            encoder.Encode(ids[..batch]); // warm-up
            string load = LoadAverage();
            int calls = 0;
            var sw = Stopwatch.StartNew();
            while (calls < 2 || sw.Elapsed.TotalSeconds < minSeconds)
            {
                int start = calls * batch % (ids.Length - batch);
                encoder.Encode(ids[start..(start + batch)]);
                calls++;
            }
            sw.Stop();
            double s = sw.Elapsed.TotalSeconds;
            rows.Add($"| T5 encoder {name} (d_model {config.DModel}, {config.NumLayers} layers, d_ff {config.DFf}, {config.NumHeads} heads, d_kv {config.DKv}) | " +
                     $"batch {batch} x {calls} calls | {s / calls * 1000:F0} ms/batch | {(double)calls * batch / s:F2} texts/s | {(double)calls * batch * length / s:F0} tokens/s | {load} |");
            Console.WriteLine(rows[^1]);
            foreach (bool ahead in pipelineBatches > 0 ? new[] { false, true } : [])
            {
                load = LoadAverage();
                // The published tokenizer's ids only fit a model with its vocabulary; the tiny model gets the tiny tokenizer.
                bool published = config.VocabSize >= pipelineTokenizer.VocabularySize;
                var (total, waited) = Pipeline(encoder, published ? pipelineTokenizer : tokenizer, texts, batch, pipelineBatches, length, ahead);
                rows.Add($"| text stage loop, {name}, {(published ? pipelineTokenizerName : "tiny")} tokenizer, {(ahead ? "ahead" : "inline")} | batch {batch} x {pipelineBatches} batches | " +
                         $"{total / pipelineBatches * 1000:F0} ms/batch, input wait {waited * 1000:F1} ms ({waited / total:P2}) | {(double)pipelineBatches * batch / total:F2} texts/s | {(double)pipelineBatches * batch * length / total:F0} tokens/s | {load} |");
                Console.WriteLine(rows[^1]);
            }
        }
    }
}
finally
{
    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"| what | work | latency | texts/s | tokens/s (length {length}) | load average (1/5/15 min) before the run |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var row in rows) Console.WriteLine(row);
Console.WriteLine($"load average at end: {LoadAverage()}");

// The worker's text stage loop without the file writes: (seconds in all, seconds the encoder waited for token ids).
static (double Total, double Waited) Pipeline(T5TextEncoder encoder, T5Tokenizer tokenizer, string[] texts, int batch, int batches, int length, bool ahead)
{
    List<int[]> Tokenize(int b) => texts.Skip(b * batch % (texts.Length - batch)).Take(batch).Select(t => tokenizer.Encode(t, length)).ToList();
    var total = Stopwatch.StartNew();
    var wait = new Stopwatch();
    Task<List<int[]>>? next = ahead ? Task.Run(() => Tokenize(0)) : null;
    for (int b = 0; b < batches; b++)
    {
        wait.Start();
        var ids = ahead ? next!.GetAwaiter().GetResult() : Tokenize(b);
        wait.Stop();
        if (ahead && b + 1 < batches) { int n = b + 1; next = Task.Run(() => Tokenize(n)); }
        encoder.Encode(ids);
    }
    return (total.Elapsed.TotalSeconds, wait.Elapsed.TotalSeconds);
}



string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
