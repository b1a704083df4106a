using System.Globalization;

namespace Backprop.TensorBoard;

/// <summary>
/// Writes scalars to a TensorBoard event file (<c>torch.utils.tensorboard.SummaryWriter</c>):
/// <c>events.out.tfevents.SECONDS.HOST.PID.N</c> in <see cref="LogDir"/>, TFRecord-framed Event
/// protocol buffers encoded without a protobuf library. <c>tensorboard --logdir DIR</c> shows each
/// tag as a curve over the steps. Every <see cref="AddScalar"/> is flushed to the file, so a running
/// TensorBoard sees it at once. Thread-safe.
/// <code>
/// using var writer = new SummaryWriter("runs/exp1");
/// writer.AddScalar("loss/train", loss, step);
/// </code>
/// </summary>
public sealed class SummaryWriter : IDisposable
{
    private static int s_files;
    private readonly object _gate = new();
    private FileStream? _stream;

    /// <summary>Creates <paramref name="logDir"/> if needed and starts a new event file in it, with its file-version event.</summary>
    /// <param name="logDir">The folder TensorBoard's <c>--logdir</c> points at (or one run below it).</param>
    /// <param name="filenameSuffix">Appended to the file's name (PyTorch's <c>filename_suffix</c>; default none).</param>
    public SummaryWriter(string logDir, string filenameSuffix = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDir);
        ArgumentNullException.ThrowIfNull(filenameSuffix);
        LogDir = Path.GetFullPath(logDir);
        Directory.CreateDirectory(LogDir);
        double now = Now();
        string host = string.Concat(Environment.MachineName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        string name = string.Create(
            CultureInfo.InvariantCulture,
            $"events.out.tfevents.{(long)now}.{host}.{Environment.ProcessId}.{Interlocked.Increment(ref s_files)}{filenameSuffix}");
        FilePath = Path.Combine(LogDir, name);
        _stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        TfRecord.Write(_stream, EventEncoder.FileVersionEvent(now));
        _stream.Flush();
    }

    /// <summary>The folder the event file is in (absolute).</summary>
    public string LogDir { get; }

    /// <summary>The event file's path.</summary>
    public string FilePath { get; }

    /// <summary>Appends one scalar (<c>writer.add_scalar(tag, scalar_value, global_step, walltime)</c>).</summary>
    /// <param name="tag">The curve's name; a slash groups curves (<c>loss/train</c>, <c>loss/test</c>).</param>
    /// <param name="value">The value; stored as a float, as TensorBoard's scalars are.</param>
    /// <param name="step">The step (x axis), e.g. the epoch or the batch count.</param>
    /// <param name="wallTime">Seconds since the Unix epoch (default: now).</param>
    /// <exception cref="ObjectDisposedException">The writer is closed.</exception>
    public void AddScalar(string tag, double value, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var record = EventEncoder.ScalarEvent(wallTime ?? Now(), step, tag, (float)value);
        lock (_gate)
        {
            var stream = _stream ?? throw new ObjectDisposedException(nameof(SummaryWriter), $"SummaryWriter: {FilePath} is closed");
            TfRecord.Write(stream, record);
            stream.Flush();
        }
    }

    /// <summary>Writes what is buffered to the file (<c>writer.flush()</c>).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _stream?.Flush();
        }
    }

    /// <summary>Flushes and closes the file (<c>writer.close()</c>); later calls do nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
