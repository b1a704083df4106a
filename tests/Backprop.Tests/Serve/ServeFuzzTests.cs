using System.Net;
using System.Text;
using Backprop.Explain;
using Backprop.Tests.Fuzz;

namespace Backprop.Tests.Serve;

/// <summary>
/// Random and malformed requests at every endpoint of <c>backprop serve</c>: mutated programs and
/// values, random parameters, percent-encoding and control characters, broken and oversized JSON
/// bodies. Every answer is 2xx or 4xx, never 5xx; the server logs no internal error and still answers
/// afterwards. Seeded: a failure names its case to replay (BACKPROP_FUZZ_LONG=1 runs 50 times more).
/// </summary>
public class ServeFuzzTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly string[] s_paths =
    [
        "/api/explain", "/explain", "/", "/api/examples", "/assets/explain.js", "/assets/x", "/api", "/api/explain/",
        "/playground", "/api/playground/train", "/api/playground/x/play", "/api/playground/%00/step", "/api/playground//pause",
        "/runs", "/api/runs", "/api/runs/demo", "/api/runs/broken", "/api/runs/leak", "/api/runs/outside", "/api/runs/..%2F..%2Foutside", "/api/runs/%2E%2E",
    ];
    private static readonly string[] s_runNameParts = ["demo", "broken", "leak", "outside", "..", ".", "/", "\\", "%2F", "%2f", "%5C", "%2E", "%00", "%01", "~", "C:", "é", "𝑥", " ", "%20", "?", "#", "history.json", "etc", "passwd", "%", "%zz", "\u0000"];
    private static readonly string[] s_fields = ["program", "example", "at", "target", "loss", "lr", "step", "large", "", "PROGRAM", "at[]"];
    private static readonly string[] s_tokens = ["(", ")", "*", "^", "-", "+", "/", ";", "\n", "=", "x", "sigmoid(", "log(", "1e308", "0", "-0", "NaN", "∞", "%", "&", "#", "\u0000", "é", "𝑥", "\"", "'", "<script>", ",", "w1="];
    private static readonly string[] s_programs =
    [
        .. WorkedExamples.Names.Select(n => WorkedExamples.Get(n).Program),
        "g = -2*w1; y = w2 + g; z = y*w3", "y = x*x", "z = sqrt(x) + log(y)", "f = relu(a - b) / c",
    ];

    [Fact]
    public async Task MalformedQueriesNeverGet5xx()
    {
        var rng = new Random(17);
        int cases = Fuzzing.Cases(400);
        for (int i = 0; i < cases; i++)
        {
            string query = RandomQuery(rng);
            string path = rng.Next(4) == 0 ? s_paths[rng.Next(s_paths.Length)] : rng.Next(4) == 0 ? "/api/playground/train" : "/api/explain";
            await AssertAnswered(HttpMethod.Get, path + "?" + (path.Contains("playground", StringComparison.Ordinal) ? RandomSettings(rng) : query), null, $"case {i}");
        }

        await AssertStillServing();
    }

    [Fact]
    public async Task MalformedBodiesNeverGet5xx()
    {
        var rng = new Random(71);
        int cases = Fuzzing.Cases(250);
        for (int i = 0; i < cases; i++)
        {
            byte[] body = RandomBody(rng);
            var method = rng.Next(6) switch { 0 => HttpMethod.Put, 1 => HttpMethod.Get, _ => HttpMethod.Post };
            string path = rng.Next(5) == 0 ? s_paths[rng.Next(s_paths.Length)] : "/api/explain";
            await AssertAnswered(method, path, body, $"case {i}");
        }

        await AssertStillServing();
    }

    /// <summary>
    /// Run names built from path pieces (.., /, encoded slashes, NUL, drive letters, links that lead
    /// out of the folder) and random query parameters: every answer is 2xx, 304, 400 or 404, and none
    /// ever holds what the files outside the runs folder hold.
    /// </summary>
    [Fact]
    public async Task RunNamesNeverGet5xxNorReachOutsideTheRunsFolder()
    {
        var rng = new Random(23);
        int cases = Fuzzing.Cases(300);
        for (int i = 0; i < cases; i++)
        {
            string name = string.Concat(Enumerable.Range(0, rng.Next(1, 6)).Select(_ => s_runNameParts[rng.Next(s_runNameParts.Length)]));
            if (rng.Next(10) == 0)
            {
                name = new string('a', rng.Next(200, 400));
            }

            string target = rng.Next(4) switch
            {
                0 => "/runs?run=" + Uri.EscapeDataString(name),
                1 => "/api/runs?" + RandomSettings(rng),
                _ => "/api/runs/" + (rng.Next(2) == 0 ? Uri.EscapeDataString(name) : name.Replace("#", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal)),
            };
            string text = await AssertAnswered(rng.Next(8) == 0 ? HttpMethod.Post : HttpMethod.Get, target, rng.Next(8) == 0 ? RandomBody(rng) : null, $"case {i}");
            Assert.DoesNotContain(SampleRuns.Secret, text);
            Assert.DoesNotContain("\"epoch\":999", text);
        }

        await AssertStillServing();
    }

    private async Task<string> AssertAnswered(HttpMethod method, string target, byte[]? body, string what)
    {
        using var request = new HttpRequestMessage(method, target);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        string replay = $"{what}: {method} {Shorten(target)} body {(body is null ? "none" : Shorten(Encoding.UTF8.GetString(body)))}";
        HttpResponseMessage response;
        try
        {
            // A training stream that starts runs until its page goes: only its status is read, then it is closed.
            response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (HttpRequestException ex)
        {
            Assert.Fail($"{replay}: no answer ({ex.Message} {ex.InnerException?.Message})");
            throw;
        }

        using var _ = response;
        string text = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "(a training stream)" : await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        Assert.True(status < 500, $"{replay} → {status}: {text}");
        if (status >= 400 && (int)response.StatusCode != 404 && target.StartsWith("/api/explain", StringComparison.Ordinal))
        {
            Assert.Contains("\"error\":", text);
            Assert.DoesNotContain("   at ", text); // no stack trace
        }

        Assert.True(server.Errors.Length == 0, $"{replay}: the server logged {server.Errors}");
        return text;
    }

    private async Task AssertStillServing()
    {
        var json = await server.GetJson("/api/explain?example=mazur");
        Assert.Equal("E", json.GetProperty("outputName").GetString());
    }

    private static string RandomQuery(Random rng)
    {
        var parts = new List<string>();
        switch (rng.Next(3))
        {
            case 0:
                // A valid program, mutated, with plausible values.
                string program = Fuzzing.MutateText(s_programs[rng.Next(s_programs.Length)], rng, s_tokens);
                parts.Add("program=" + Encode(program, rng));
                parts.Add("at=" + Encode(RandomValues(rng), rng));
                break;
            case 1:
                parts.Add("example=" + Encode(rng.Next(3) == 0 ? Fuzzing.RandomText(rng, "abcmazurxyz%\u0000é", 8) : WorkedExamples.Names[rng.Next(WorkedExamples.Names.Count)], rng));
                break;
        }

        int extra = rng.Next(4);
        for (int k = 0; k < extra; k++)
        {
            string name = s_fields[rng.Next(s_fields.Length)];
            string value = rng.Next(3) switch
            {
                0 => s_tokens[rng.Next(s_tokens.Length)],
                1 => Fuzzing.RandomText(rng, "0123456789.-+eE,=x ;%&#", 12),
                _ => RandomValues(rng),
            };
            parts.Add(name + (rng.Next(8) == 0 ? "" : "=" + Encode(value, rng)));
        }

        var query = string.Join(rng.Next(10) == 0 ? ";" : "&", parts.OrderBy(_ => rng.Next()));
        return rng.Next(10) == 0 ? Fuzzing.MutateText(query, rng, ["%", "%zz", "&", "=", "%00", "%ff"]) : query;
    }

    private static string RandomSettings(Random rng)
    {
        string[] names = ["data", "noise", "points", "test", "depth", "width", "activation", "init", "optimizer", "lr", "batch", "seed", "steps", "x"];
        string[] values = ["moons", "spiral", "xor", "circles", "relu", "sigmoid", "he", "sgd", "adam", "0", "1", "-1", "0.5", "1e9", "NaN", "99999999999", "", "%", "abc", "20", "2000", "10", "32"];
        var query = string.Join("&", Enumerable.Range(0, rng.Next(0, 6)).Select(_ => names[rng.Next(names.Length)] + "=" + Uri.EscapeDataString(values[rng.Next(values.Length)])));
        return rng.Next(8) == 0 ? Fuzzing.MutateText(query, rng, ["%", "&", "=", "%00"]) : query;
    }

    private static string RandomValues(Random rng)
    {
        string[] names = ["w1", "w2", "w3", "x", "y", "a", "b", "c", "t", "w", "1x", "", "x y"];
        string[] numbers = ["3", "-0.5", "1e-300", "1e308", "0", "NaN", "Infinity", "abc", "", "1,5", "0x10", "  2  "];
        return string.Join(",", Enumerable.Range(0, rng.Next(0, 6)).Select(_ => names[rng.Next(names.Length)] + (rng.Next(8) == 0 ? "" : "=") + numbers[rng.Next(numbers.Length)]));
    }

    /// <summary>Percent-encoded as a browser would, or sometimes sent raw (reserved characters and all).</summary>
    private static string Encode(string text, Random rng) => rng.Next(5) == 0 ? text.Replace("#", "", StringComparison.Ordinal) : Uri.EscapeDataString(text);

    private static byte[] RandomBody(Random rng)
    {
        switch (rng.Next(6))
        {
            case 0:
                {
                    var bytes = new byte[rng.Next(0, 200)];
                    rng.NextBytes(bytes);
                    return bytes;
                }

            case 1:
                // Nested deeper than the reader allows.
                int depth = rng.Next(5, 200);
                return Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', rng.Next(depth + 1)));
            case 2:
                // Larger than the body limit.
                return Encoding.UTF8.GetBytes("{\"program\": \"" + new string('x', rng.Next(60_000, 120_000)) + "\"}");
            default:
                {
                    string program = Fuzzing.MutateText(s_programs[rng.Next(s_programs.Length)], rng, s_tokens);
                    string json = $"{{\"program\": {System.Text.Json.JsonSerializer.Serialize(program)}, \"at\": {System.Text.Json.JsonSerializer.Serialize(RandomValues(rng))}";
                    json += rng.Next(3) switch
                    {
                        0 => ", \"lr\": " + s_tokens[rng.Next(s_tokens.Length)],
                        1 => ", \"target\": " + Fuzzing.RandomText(rng, "0123456789.-e\"[]{}", 6),
                        _ => "",
                    };
                    json += rng.Next(6) == 0 ? "" : "}";
                    return Encoding.UTF8.GetBytes(rng.Next(8) == 0 ? Fuzzing.MutateText(json, rng, ["{", "}", "\"", ",", ":", "null", "[", "\\u0000"]) : json);
                }
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + $"... ({text.Length} characters)";
}
