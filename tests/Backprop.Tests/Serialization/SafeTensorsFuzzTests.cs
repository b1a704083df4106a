using System.Text;
using Backprop.Serialization;
using CsCheck;

namespace Backprop.Tests.Serialization;

public sealed class SafeTensorsFuzzTests : IDisposable
{
    private static readonly byte[] s_interesting = Encoding.ASCII.GetBytes("{}[]\",:-0123456789e.\\ ").Concat(new byte[] { 0x00, 0x7F, 0x80, 0xC3, 0xFF }).ToArray();

    private static readonly string[] s_tokens =
    [
        "\\ud800", "\\u0061", "-1", "1e400", "0.5", "18446744073709551616", "9223372036854775807", "BF16", "I64",
        "null", "true", "{}", "[]", "[0,0]", "\"__metadata__\":{},", "\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},",
    ];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private byte[] ValidFile()
    {
        string path = _dir.File("seed.safetensors");
        SafeTensors.Save(
            path,
            new Dictionary<string, Tensor>
            {
                ["w"] = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3),
                ["b"] = Tensor.FromArray(new double[] { 0.5 }, 1),
                ["s"] = Tensor.Scalar(3, DType.Int64),
                ["e"] = Tensor.Zeros(0, 2),
            },
            new Dictionary<string, string> { ["epoch"] = "12", ["spec"] = "6-1" });
        return File.ReadAllBytes(path);
    }

    private static byte[] Mutate(byte[] valid, Random rng, int headerEnd)
    {
        var bytes = new List<byte>(valid);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            // Most edits land in the length field and header, where the parsing logic is.
            int pos = rng.Next(4) == 0 ? rng.Next(Math.Max(1, bytes.Count)) : rng.Next(Math.Min(headerEnd, Math.Max(1, bytes.Count)));
            switch (rng.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(pos, bytes.Count - 1)] = (byte)rng.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(pos, bytes.Count - 1)] = s_interesting[rng.Next(s_interesting.Length)];
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(Math.Min(pos, bytes.Count - 1));
                    break;
                case 3:
                    bytes.Insert(Math.Min(pos, bytes.Count), s_interesting[rng.Next(s_interesting.Length)]);
                    break;
                case 5:
                    byte[] token = Encoding.UTF8.GetBytes(s_tokens[rng.Next(s_tokens.Length)]);
                    int at = Math.Min(pos, bytes.Count);
                    bytes.InsertRange(at, token);

                    // Growing the length field with the header lets the edit reach the checks past JSON parsing.
                    if (at >= 8 && bytes.Count >= 8 && rng.Next(2) == 0)
                    {
                        ulong n = BitConverter.ToUInt64([.. bytes.GetRange(0, 8)]);
                        byte[] grown = BitConverter.GetBytes(n + (ulong)token.Length);
                        for (int k = 0; k < 8; k++)
                        {
                            bytes[k] = grown[k];
                        }
                    }

                    break;
                case 4 when rng.Next(4) == 0:
                    bytes.RemoveRange(Math.Min(pos, bytes.Count), bytes.Count - Math.Min(pos, bytes.Count));
                    break;
                default:
                    if (bytes.Count >= 8)
                    {
                        bytes[rng.Next(8)] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    [Fact]
    public async Task MutatedFilesLoadOrThrowInvalidDataException()
    {
        byte[] valid = ValidFile();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        var rng = new Random(20240601);
        int loaded = 0, rejected = 0, cases = Backprop.Tests.Fuzz.Fuzzing.Cases(20_000);

        var run = Task.Run(() =>
        {
            for (int i = 0; i < cases; i++)
            {
                byte[] file = Mutate(valid, rng, headerEnd);
                try
                {
                    var (tensors, _) = SafeTensors.LoadFrom(new MemoryStream(file), "fuzz.safetensors");
                    Assert.All(tensors.Values, t => Assert.True(t.Numel >= 0));
                    loaded++;
                }
                catch (InvalidDataException ex)
                {
                    Assert.StartsWith("fuzz.safetensors: invalid safetensors file: ", ex.Message);
                    rejected++;
                }
                catch (Exception ex)
                {
                    Assert.Fail($"iteration {i}: {ex.GetType().Name}: {ex.Message}\nfile: {Convert.ToHexString(file)}");
                }
            }
        });

        // A hang in the parser shows up as a TimeoutException rather than a stuck test run.
        await run.WaitAsync(TimeSpan.FromMinutes(Backprop.Tests.Fuzz.Fuzzing.LongMode ? 120 : 2));
        Assert.True(rejected > cases / 2, $"only {rejected} of {cases} mutations were rejected");
        Assert.True(loaded > 0, "no mutation loaded; data-byte mutations should");
    }

    [Fact]
    public void MutatedFilesOnDiskLoadOrThrowInvalidDataException()
    {
        byte[] valid = ValidFile();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid, 0);
        var rng = new Random(7);
        string path = _dir.File("fuzz.safetensors");
        for (int i = 0; i < 300; i++)
        {
            File.WriteAllBytes(path, Mutate(valid, rng, headerEnd));
            try
            {
                SafeTensors.Inspect(path);
                SafeTensors.Load(path);
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains(path, ex.Message);
            }
        }
    }

    [Fact]
    public void RandomTensorsRoundTripExactly()
    {
        var gen = Gen.Select(Gen.Int[0, 3].Array[0, 4], Gen.Int[0, 2], Gen.Long);
        gen.Sample(
            (shape, dtypeIndex, seed) =>
            {
                var dtype = (DType)dtypeIndex;
                var generator = new Generator(seed);
                var t = dtype == DType.Int64
                    ? Tensor.RandInt(long.MinValue / 2, long.MaxValue / 2, shape, generator)
                    : Tensor.Randn(shape, generator, dtype);
                string path = _dir.File($"prop-{Guid.NewGuid():N}.safetensors");
                SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
                var back = SafeTensors.Load(path)["t"];
                File.Delete(path);
                Assert.Equal(t.DType, back.DType);
                Assert.Equal(t.Shape, back.Shape);
                Assert.Equal(t.ToArray(), back.ToArray());
            },
            iter: 200);
    }
}
