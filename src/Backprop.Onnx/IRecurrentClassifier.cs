using Backprop.NN;

namespace Backprop.Onnx;

/// <summary>
/// Lets <see cref="OnnxExport"/> write a custom module whose forward pass is the usual recurrent
/// sequence classifier, y = Head(h_n[−1]): each input row (N, T·F) is read as T steps of
/// F = <c>Recurrent.InputSize</c> features (an (N, T, F) input as it is) by the batch-first
/// <see cref="Recurrent"/> network, and its last layer's final hidden state goes through
/// <see cref="Head"/>. In PyTorch: <c>self.fc(self.lstm(x.view(n, -1, f))[1][0][-1])</c> (for an LSTM).
/// Both must be child modules of the implementing module: the file names their weights by its state-dict keys.
/// </summary>
public interface IRecurrentClassifier
{
    /// <summary>The batch-first RNN, LSTM or GRU that reads the steps.</summary>
    RNNBase Recurrent { get; }

    /// <summary>The layer applied to the last layer's final hidden state.</summary>
    Linear Head { get; }
}
