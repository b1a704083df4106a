using System.Runtime.InteropServices;
using System.Text;

namespace Backprop.Distributed;

/// <summary>
/// Open MPI's C API by P/Invoke through function pointers: libmpi is loaded when a process group is
/// first created (never by the core library), and the predefined handles (MPI_COMM_WORLD, MPI_FLOAT,
/// MPI_SUM, MPI_ERRORS_RETURN, ...) are the addresses of the library's exported objects, as Open MPI's
/// mpi.h defines them (<c>#define MPI_COMM_WORLD (&amp;ompi_mpi_comm_world)</c>). MPICH and Microsoft
/// MPI pass handles as integers instead; they are refused with a message naming Open MPI.
/// </summary>
internal static unsafe class Mpi
{
    public const int Success = 0;
    public const int ThreadSerialized = 2;
    public const int ThreadMultiple = 3;

    /// <summary>MPI_IN_PLACE in Open MPI's mpi.h: <c>((void *) 1)</c>.</summary>
    public static readonly void* InPlace = (void*)1;

    private static readonly string[] s_names = ["libmpi.so.40", "libmpi.so", "libmpi.40.dylib", "libmpi.dylib"];
    private static readonly Lock s_loadLock = new();
    private static bool s_loaded;

    public static nint CommWorld;
    public static nint Float;
    public static nint Double;
    public static nint Int;
    public static nint Int64;
    public static nint OpSum;
    public static nint OpMin;
    public static nint OpMax;
    public static nint ErrorsReturn;

    public static delegate* unmanaged<int*, nint, int, int*, int> InitThread;
    public static delegate* unmanaged<int*, int> Initialized;
    public static delegate* unmanaged<int*, int> Finalized;
    public static delegate* unmanaged<int> Finalize;
    public static delegate* unmanaged<nint, int*, int> CommRank;
    public static delegate* unmanaged<nint, int*, int> CommSize;
    public static delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public static delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public static delegate* unmanaged<nint, int> Barrier;
    public static delegate* unmanaged<nint, int, int> Abort;
    public static delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>Loads libmpi and resolves what the process group uses; a clear error when it is not installed.</summary>
    public static void Load()
    {
        lock (s_loadLock)
        {
            if (s_loaded)
            {
                return;
            }

            nint lib = 0;
            foreach (string name in s_names)
            {
                if (NativeLibrary.TryLoad(name, out lib))
                {
                    break;
                }
            }

            if (lib == 0)
            {
                throw new DistributedException(
                    "MPI is not installed: could not load Open MPI's library (libmpi.so.40). Install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and start the program with mpirun -np N",
                    rank: -1,
                    call: "MPI_Init");
            }

            CommWorld = Handle(lib, "ompi_mpi_comm_world");
            Float = Handle(lib, "ompi_mpi_float");
            Double = Handle(lib, "ompi_mpi_double");
            Int = Handle(lib, "ompi_mpi_int");
            Int64 = Handle(lib, "ompi_mpi_long_long_int");
            OpSum = Handle(lib, "ompi_mpi_op_sum");
            OpMin = Handle(lib, "ompi_mpi_op_min");
            OpMax = Handle(lib, "ompi_mpi_op_max");
            ErrorsReturn = Handle(lib, "ompi_mpi_errors_return");
            InitThread = (delegate* unmanaged<int*, nint, int, int*, int>)Function(lib, "MPI_Init_thread");
            Initialized = (delegate* unmanaged<int*, int>)Function(lib, "MPI_Initialized");
            Finalized = (delegate* unmanaged<int*, int>)Function(lib, "MPI_Finalized");
            Finalize = (delegate* unmanaged<int>)Function(lib, "MPI_Finalize");
            CommRank = (delegate* unmanaged<nint, int*, int>)Function(lib, "MPI_Comm_rank");
            CommSize = (delegate* unmanaged<nint, int*, int>)Function(lib, "MPI_Comm_size");
            CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Function(lib, "MPI_Comm_set_errhandler");
            Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Function(lib, "MPI_Allreduce");
            Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Function(lib, "MPI_Bcast");
            Barrier = (delegate* unmanaged<nint, int>)Function(lib, "MPI_Barrier");
            Abort = (delegate* unmanaged<nint, int, int>)Function(lib, "MPI_Abort");
            ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Function(lib, "MPI_Error_string");
            s_loaded = true;
        }
    }

    /// <summary>MPI's own text for an error code (MPI_Error_string).</summary>
    public static string Describe(int code)
    {
        byte* buffer = stackalloc byte[512];
        int length = 0;
        return ErrorString(code, buffer, &length) == Success && length > 0
            ? Encoding.UTF8.GetString(buffer, Math.Min(length, 511))
            : $"MPI error code {code}";
    }

    private static nint Handle(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out nint address)
            ? address
            : throw new DistributedException(
                $"the MPI library found is not Open MPI (it has no '{name}'); Backprop.Distributed supports Open MPI (apt-get install openmpi-bin libopenmpi-dev)",
                rank: -1,
                call: "MPI_Init");

    private static nint Function(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out nint address)
            ? address
            : throw new DistributedException($"the MPI library has no function {name}", rank: -1, call: name);
}
