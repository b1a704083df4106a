using System.Text;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Shared pieces of the reader fuzz tests: how many cases to run (a CI-sized number, or 50 times
/// more with BACKPROP_FUZZ_LONG=1), a time limit that turns a hang into a failure, and seeded
/// byte and text mutators, so every failure replays from its seed and case number.
/// </summary>
internal static class Fuzzing
{
    /// <summary>True when BACKPROP_FUZZ_LONG=1: each fuzz test runs 50 times as many cases.</summary>
    public static bool LongMode => Environment.GetEnvironmentVariable("BACKPROP_FUZZ_LONG") == "1";

    public static int Cases(int ci) => LongMode ? ci * 50 : ci;

    /// <summary>Runs <paramref name="body"/> on a worker thread; one that does not finish in time (a hang) fails the test.</summary>
    public static async Task WithinTime(Action body, int ciSeconds = 60)
    {
        var limit = TimeSpan.FromSeconds(LongMode ? ciSeconds * 60 : ciSeconds);
        await Task.Run(body).WaitAsync(limit);
    }

    /// <summary>
    /// Asserts that reading a fuzzed input either succeeded or threw <typeparamref name="TExpected"/>
    /// whose message satisfies <paramref name="clear"/>; anything else fails with the input to replay it.
    /// Returns true if it succeeded.
    /// </summary>
    public static bool LoadsOrThrows<TExpected>(Action read, Func<string, bool> clear, int caseNumber, Func<string> describeInput)
        where TExpected : Exception
    {
        try
        {
            read();
            return true;
        }
        catch (TExpected ex) when (ex.GetType() == typeof(TExpected))
        {
            Assert.True(clear(ex.Message), $"case {caseNumber}: unclear message '{ex.Message}'\ninput: {describeInput()}");
            return false;
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"case {caseNumber}: {ex.GetType().Name} (expected {typeof(TExpected).Name}): {ex.Message}\ninput: {describeInput()}\n{ex.StackTrace}");
            return false;
        }
    }

    /// <summary>1 to 4 random edits (flip, replace with a chosen byte, insert, delete, cut) of <paramref name="valid"/>; <paramref name="hot"/> bytes at the start get most of them.</summary>
    public static byte[] MutateBytes(byte[] valid, Random rng, int hot, byte[] interesting)
    {
        var bytes = new List<byte>(valid);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int span = rng.Next(4) == 0 || hot <= 0 ? bytes.Count : Math.Min(hot, bytes.Count);
            int pos = rng.Next(Math.Max(1, span));
            switch (rng.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(pos, bytes.Count - 1)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(pos, bytes.Count - 1)] = interesting[rng.Next(interesting.Length)];
                    break;
                case 2:
                    bytes.Insert(Math.Min(pos, bytes.Count), interesting[rng.Next(interesting.Length)]);
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(Math.Min(pos, bytes.Count - 1));
                    break;
                case 4 when rng.Next(3) == 0:
                    bytes.RemoveRange(Math.Min(pos, bytes.Count), bytes.Count - Math.Min(pos, bytes.Count));
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[Math.Min(pos, bytes.Count - 1)] = (byte)rng.Next(256);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>1 to 4 random edits of <paramref name="valid"/>: delete a span, duplicate a span, insert a token or a random character.</summary>
    public static string MutateText(string valid, Random rng, string[] tokens)
    {
        var text = new StringBuilder(valid);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int pos = rng.Next(text.Length + 1);
            switch (rng.Next(5))
            {
                case 0 when text.Length > 0:
                    text.Remove(Math.Min(pos, text.Length - 1), Math.Min(rng.Next(1, 6), text.Length - Math.Min(pos, text.Length - 1)));
                    break;
                case 1 when pos < text.Length:
                    int length = Math.Min(rng.Next(1, 12), text.Length - pos);
                    text.Insert(pos, text.ToString(pos, length));
                    break;
                case 2:
                    text.Insert(pos, (char)rng.Next(0, 0x80));
                    break;
                case 3 when text.Length > 0:
                    text[Math.Min(pos, text.Length - 1)] = (char)rng.Next(0x20, 0x7F);
                    break;
                default:
                    text.Insert(pos, tokens[rng.Next(tokens.Length)]);
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>A short string of characters drawn from <paramref name="alphabet"/>.</summary>
    public static string RandomText(Random rng, string alphabet, int maxLength)
    {
        var chars = new char[rng.Next(maxLength + 1)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[rng.Next(alphabet.Length)];
        }

        return new string(chars);
    }
}
