namespace Backprop;

public static partial class OpRegistry
{
    /// <summary>
    /// Recurrent layers and cells (Ops/Recurrent.cs) on 3 steps, batch 2, input 3, hidden 2; weights
    /// in [−1, 1) so the gates are not saturated. LSTM rows check h and c together.
    /// </summary>
    private static IEnumerable<OpInfo> RecurrentOps()
    {
        InputSpec[] Layer(int gates, bool bias = true) =>
        [
            In([3, 2, 3]),
            In([2, 2], -1, 1),
            .. gates == 4 ? (InputSpec[])[In([2, 2], -1, 1)] : [],
            In([gates * 2, 3], -1, 1),
            In([gates * 2, 2], -1, 1),
            .. bias ? (InputSpec[])[In([gates * 2], -1, 1), In([gates * 2], -1, 1)] : [],
        ];

        InputSpec[] Cell(int gates) => [In([2, 3]), .. Layer(gates)[1..]];

        yield return new("rnn_tanh", x => Tensor.Rnn(x[0], x[1], x[2], x[3], x[4], x[5]).Output, Layer(1));
        yield return new("rnn_relu", x => Tensor.Rnn(x[0], x[1], x[2], x[3], x[4], x[5], "relu").Output, Layer(1));
        yield return new("lstm", x => LstmState(Tensor.Lstm(x[0], x[1], x[2], x[3], x[4], x[5], x[6])), Layer(4));
        yield return new("lstm_no_bias", x => LstmState(Tensor.Lstm(x[0], x[1], x[2], x[3], x[4])), Layer(4, bias: false));
        yield return new("gru", x => Tensor.Gru(x[0], x[1], x[2], x[3], x[4], x[5]).Output, Layer(3));
        yield return new("gru_no_bias", x => Tensor.Gru(x[0], x[1], x[2], x[3]).Output, Layer(3, bias: false));
        yield return new("rnn_tanh_cell", x => Tensor.RnnTanhCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(1));
        yield return new("rnn_relu_cell", x => Tensor.RnnReluCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(1));
        yield return new("lstm_cell", x => LstmCellState(Tensor.LstmCell(x[0], x[1], x[2], x[3], x[4], x[5], x[6])), Cell(4));
        yield return new("gru_cell", x => Tensor.GruCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(3));
    }

    /// <summary>Every output of an LSTM layer in one vector: output (which ends with h_T), then c_T.</summary>
    private static Tensor LstmState((Tensor Output, Tensor H, Tensor C) r) => Tensor.Concat([r.Output.Flatten(), r.C.Flatten()]);

    private static Tensor LstmCellState((Tensor H, Tensor C) r) => Tensor.Concat([r.H.Flatten(), r.C.Flatten()]);
}
