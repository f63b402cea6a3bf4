using System.Reflection;
using VideoDataset.Core.Dataset;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Segments;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Worker;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Settings;

/// <summary>
/// The one settings model: the same names from the targets to the worker, defaults only in the
/// .props, paths made absolute against the project; the device resolved once with its dtype rule.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class SettingsTests
{
    static readonly string[] Optional = ["ModelDir", "VaeModelDir", "T5ModelDir", "TokenizerDir", "SceneFile", "CaptionFile"];
    static readonly string[] DerivedInTargets = ["VaeChunkFrames", "VideoDatasetIntermediateDir"];
    // Taken as text (empty = not set, so "one without the other" can be told), validated by the
    // task, defaulted in the targets from the job's environment (DESIGN §8), never in the props.
    static readonly string[] ShardProperties = ["ShardIndex", "ShardCount"];

    [TestMethod]
    public void EverySettingIsATypedTaskParameterOfTheSameNamePassedByTheTargetsWithItsDefaultInTheProps()
    {
        var task = Assembly.LoadFrom(Repo.TasksAssembly).GetType("VideoDataset.Tasks.ResolveDatasetSettings", throwOnError: true)!;
        string targets = File.ReadAllText(Path.Combine(Repo.Root, "build/VideoDataset.targets"));
        foreach (var p in DatasetSettings.Properties)
        {
            var parameter = task.GetProperty(p.Name);
            Assert.IsNotNull(parameter, $"ResolveDatasetSettings has no parameter {p.Name}");
            Assert.AreEqual(ShardProperties.Contains(p.Name) ? typeof(string) : p.PropertyType, parameter.PropertyType, p.Name);
            StringAssert.Contains(targets, $"{p.Name}=\"$({p.Name})\"", "the targets pass the property of the same name");
            if (ShardProperties.Contains(p.Name))
            {
                Assert.IsFalse(TestSettings.PropsDefaults.ContainsKey(p.Name), $"{p.Name} has no default in the props");
                StringAssert.Contains(targets, $"<{p.Name}>$(", $"the targets derive {p.Name} from the job's environment");
            }
            else if (Optional.Contains(p.Name)) Assert.IsFalse(TestSettings.PropsDefaults.ContainsKey(p.Name), $"{p.Name} has no default");
            else if (DerivedInTargets.Contains(p.Name)) StringAssert.Contains(targets, $"<{p.Name} Condition=\"'$({p.Name})' == ''\">");
            else Assert.IsTrue(TestSettings.PropsDefaults.ContainsKey(p.Name), $"build/VideoDataset.props gives {p.Name} a default");
        }
    }

    [TestMethod]
    public void PathsBecomeAbsoluteAgainstTheProjectFolderNotTheCurrentOneAndModelFoldersComeFromModelDir()
    {
        string project = Path.Combine(Path.GetTempPath(), "vds-settings-project");
        var s = TestSettings.Create(project) with { };
        Assert.AreEqual(Path.Combine(project, "episodes") + "/", s.EpisodeDir);
        Assert.AreEqual(Path.Combine(project, "annotations.jsonl"), s.AnnotationFile);
        Assert.AreEqual(Path.Combine(project, "raw") + "/", s.RawEpisodeDir);
        Assert.AreEqual("", s.VaeModelDir, "no model named: no model folder");

        var raw = DatasetSettings.FromProperties(n => s.ToProperties().First(kv => kv.Key == n).Value) with
        {
            SceneFile = "in/scenes.jsonl", CaptionFile = "../captions.jsonl", ModelDir = "models/cogvideox", T5ModelDir = "/abs/t5",
        };
        var resolved = raw.MakeAbsolute(project);
        Assert.AreEqual(Path.Combine(project, "in/scenes.jsonl"), resolved.SceneFile);
        Assert.AreEqual(Path.GetFullPath(Path.Combine(project, "../captions.jsonl")), resolved.CaptionFile);
        Assert.AreEqual(Path.Combine(project, "models/cogvideox/vae/"), resolved.VaeModelDir);
        Assert.AreEqual("/abs/t5/", resolved.T5ModelDir, "a folder set on its own wins over ModelDir");
        Assert.AreEqual(Path.Combine(project, "models/cogvideox/tokenizer/"), resolved.TokenizerDir);
        Assert.AreEqual(resolved, resolved.MakeAbsolute("/elsewhere"), "absolute settings stay as they are");

        var tiny = (raw with { ModelDir = "tiny", VaeModelDir = "", T5ModelDir = "" }).MakeAbsolute(project);
        Assert.AreEqual(Path.Combine(project, "obj/VideoDataset/tiny-model/v1/vae/"), tiny.VaeModelDir);
    }

    [TestMethod]
    public void TheSettingsItemAndTheWorkerRequestCarryEverySettingUnchanged()
    {
        var s = TestSettings.Create("/p") with { TorchDevice = "cuda:1", VideoDatasetCuda = true, TextBatchSize = 3, ShardCount = 4 };
        var metadata = s.ToProperties().ToDictionary();
        Assert.AreEqual(s, DatasetSettings.FromProperties(n => metadata[n]));
        Assert.AreEqual("True", metadata["VideoDatasetCuda"]);

        string file = Path.Combine(Path.GetTempPath(), $"vds-request-{Guid.NewGuid():N}.json");
        var item = new WorkItem { Input = "a.mp4", Output = "/d/a.pt", Key = "k", Timings = [new SegmentTiming(0.5, 4)] };
        File.WriteAllText(file, new WorkerRequest { Stage = WorkerRequest.Latents, Settings = s, Items = [item] }.ToJson());
        try
        {
            var back = WorkerRequest.Load(file);
            Assert.AreEqual(s, back.Settings);
            Assert.AreEqual(0.5, back.Items[0].Timings[0].Start);
            StringAssert.Contains(File.ReadAllText(file), "\"VaeChunkFrames\": 16", "the request uses the property names");
        }
        finally { File.Delete(file); }
        Assert.AreEqual(("k", "/d/a.pt"), WorkerProtocol.ParseDone(WorkerProtocol.Done(item)));
        Assert.AreEqual(("k", "/d/a b.pt"), WorkerProtocol.ParseDone(WorkerProtocol.Done(item with { Output = "/d/a b.pt" })));
    }

    [TestMethod]
    public void TorchDeviceResolvesToWhatTheWorkerCanComputeOrIsAnError()
    {
        string R(string setting, bool cudaBuild, int gpus) => ComputeDevice.Resolve(setting, cudaBuild, gpus, "p.proj", out _);
        Assert.AreEqual("cpu", R("auto", cudaBuild: false, gpus: 1));
        Assert.AreEqual("cpu", R("auto", cudaBuild: true, gpus: 0), "a CUDA worker on a machine without a GPU computes on the CPU");
        Assert.AreEqual("cuda", R("auto", cudaBuild: true, gpus: 2));
        Assert.AreEqual("cpu", R("CPU", cudaBuild: true, gpus: 2));
        Assert.AreEqual("cuda:1", R("cuda:1", cudaBuild: true, gpus: 2));
        foreach (var (setting, cudaBuild, gpus) in new[] { ("cuda", false, 1), ("cuda", true, 0), ("cuda:2", true, 2), ("gpu", true, 1), ("cuda:x", true, 1) })
        {
            string kept = ComputeDevice.Resolve(setting, cudaBuild, gpus, "p.proj", out Diagnostic? error);
            Assert.IsNotNull(error, setting);
            Assert.AreEqual(DiagnosticCodes.DeviceUnusable, error.Code);
            Assert.AreEqual(setting, kept);
        }

        // The numerics recorded in keys: the same strings as before for the same device.
        Assert.AreEqual("cpu-fp32", ComputeDevice.Numerics("cpu"));
        Assert.AreEqual("cuda-bf16", ComputeDevice.Numerics("cuda"));
        Assert.AreEqual("cuda-bf16", ComputeDevice.Numerics("cuda:3"));
    }

    [TestMethod]
    public void VisibleGpusCountTheDriversGpusNarrowedByCudaVisibleDevices()
    {
        string dir = Directory.CreateTempSubdirectory("vds-gpus").FullName;
        try
        {
            Assert.AreEqual(0, ComputeDevice.VisibleGpus(Path.Combine(dir, "none"), null));
            Directory.CreateDirectory(Path.Combine(dir, "0000:01:00.0"));
            Directory.CreateDirectory(Path.Combine(dir, "0000:02:00.0"));
            Assert.AreEqual(2, ComputeDevice.VisibleGpus(dir, null));
            Assert.AreEqual(1, ComputeDevice.VisibleGpus(dir, "1"));
            Assert.AreEqual(0, ComputeDevice.VisibleGpus(dir, ""));
            Assert.AreEqual(0, ComputeDevice.VisibleGpus(dir, "-1"));
            Assert.AreEqual(1, ComputeDevice.VisibleGpus(dir, "0,-1,1"));
            Assert.AreEqual(2, ComputeDevice.VisibleGpus(dir, "0,1,2"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void KeyStringsKeepTheirBytesSoExistingDatasetsStayFresh()
    {
        Assert.AreEqual("libx264 -preset medium -crf 12 -pix_fmt yuv420p; scale=increase+centre-crop bicubic", SequenceEncoder.Settings);
        StringAssert.EndsWith(Recipes.Latents("v", 16, 3, 720, 480, 16, ComputeDevice.Numerics("cpu")), "chunk=16\nnumerics=cpu-fp32\n");
    }
}
