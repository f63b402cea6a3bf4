using VideoDataset.Core.Models;
using VideoDataset.Core.Worker;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Vae;

/// <summary>
/// The latents worker's native runtime settings (<see cref="NativeRuntimeSettings.VaeCpu"/>): set in the worker before
/// libtorch loads, a user's own value kept, and not one output bit different from a run without them.
/// </summary>
[TestClass]
[TestCategory("Reference")]
public class VaeRuntimeSettingsTests
{
    static readonly Dictionary<string, string?> Without = new() { ["OMP_WAIT_POLICY"] = "ACTIVE", ["THP_MEM_ALLOC_ENABLE"] = "0" };

    [TestMethod]
    public void TheWorkerSetsThemBeforeLibtorchLoadsAndKeepsAUsersValue()
    {
        var own = Repo.Run("dotnet", [Repo.WorkerPath, "selftest"], env: new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = null, ["THP_MEM_ALLOC_ENABLE"] = null });
        Assert.AreEqual(0, own.ExitCode, own.ToString());
        StringAssert.Contains(own.Output, "selftest: runtime OMP_WAIT_POLICY=PASSIVE THP_MEM_ALLOC_ENABLE=1, set before libtorch loaded: yes");

        var users = Repo.Run("dotnet", [Repo.WorkerPath, "selftest"], env: new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "ACTIVE", ["THP_MEM_ALLOC_ENABLE"] = null });
        Assert.AreEqual(0, users.ExitCode, users.ToString());
        StringAssert.Contains(users.Output, "selftest: runtime OMP_WAIT_POLICY=ACTIVE THP_MEM_ALLOC_ENABLE=1, set before libtorch loaded: yes");
    }

    [TestMethod]
    public void OnceLibtorchIsLoadedNothingIsSet()
    {
        using var loaded = TorchSharp.torch.ones(1);
        Assert.IsTrue(NativeRuntimeSettings.RuntimeLoaded());
        Assert.IsFalse(NativeRuntimeSettings.Apply([new("VDS_RUNTIME_SETTINGS_TEST", "1")]));
        Assert.IsNull(NativeRuntimeSettings.Get("VDS_RUNTIME_SETTINGS_TEST"));
    }

    [TestMethod]
    public void LatentsOfCogVideoX5bsVaeHaveTheSameBitsWithAndWithoutThem()
    {
        string dir = VaeTestSupport.NewTempDir("vaeruntime");
        try
        {
            // Real widths at a tiny size: 48x32, 9 frames in two chunks, through the worker's latents stage as a build runs it.
            string vae = Path.Combine(dir, "vae"), clip = Path.Combine(dir, "clip.mkv");
            RealSizeModels.WriteCogVideoX5bVae(vae);
            var ffmpeg = Repo.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=48x32:rate=8", "-frames:v", "9", "-c:v", "ffv1", clip);
            Assert.AreEqual(0, ffmpeg.ExitCode, ffmpeg.ToString());
            var settings = TestSettings.Create(dir) with
            {
                VaeModelDir = vae, Fps = 8, SegmentSeconds = 1, FrameWidth = 48, FrameHeight = 32, VaeChunkFrames = 4, TorchDevice = "cpu",
            };

            byte[] Encode(string name, Dictionary<string, string?> env)
            {
                string output = Path.Combine(dir, name + ".pt"), request = Path.Combine(dir, name + ".json");
                var item = new WorkItem { Input = clip, Output = output, Key = name, Label = name };
                File.WriteAllText(request, new WorkerRequest { Stage = WorkerRequest.Latents, Settings = settings, Items = [item] }.ToJson());
                var run = Repo.Run("dotnet", [Repo.WorkerPath, WorkerRequest.Latents, "--request", request], env: env);
                Assert.AreEqual(0, run.ExitCode, run.ToString());
                return File.ReadAllBytes(output);
            }

            byte[] with = Encode("with", new() { ["OMP_WAIT_POLICY"] = null, ["THP_MEM_ALLOC_ENABLE"] = null });
            byte[] without = Encode("without", Without);
            Assert.IsGreaterThan(3 * 32 * 4 * 6 * 2, with.Length, "the latent holds [3, 32, 4, 6] bfloat16 values");
            CollectionAssert.AreEqual(without, with, "the latent files differ");
        }
        finally { Directory.Delete(dir, true); }
    }
}
