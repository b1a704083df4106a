namespace Backprop.Tests.Kernels;

/// <summary>Runs test code with <see cref="Threading.NumThreads"/> set, and puts the previous count back.</summary>
internal static class ThreadCount
{
    public static T With<T>(int threads, Func<T> body)
    {
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = threads;
            return body();
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }

    public static void With(int threads, Action body) => With(threads, () =>
    {
        body();
        return 0;
    });
}
