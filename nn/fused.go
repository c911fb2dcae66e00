package nn

import "github.com/robustlab/robustlab/autograd"

// ConvBN runs conv then bn on x, adds residual (if not nil) and applies a
// ReLU (if relu): Call(conv, x), then bn.CallAct. Where neither layer has
// a hook that must see its own output and the convolution has no bias (a
// batch norm makes one redundant), the whole chain runs as one operation,
// autograd.ConvBN, which gives the same values with less memory traffic.
func ConvBN(conv *Conv2d, bn *BatchNorm2d, x, residual *autograd.Var, relu bool) *autograd.Var {
	if len(conv.hooks) > 0 || len(bn.hooks) > 0 || conv.Bias != nil {
		return bn.CallAct(Call(conv, x), residual, relu)
	}
	training := bn.Training()
	if training {
		bn.NumBatchesTracked.Data()[0]++
	}
	return autograd.ConvBN(x, conv.Weight, conv.Options, bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, residual, relu,
		autograd.BatchNormOptions{Training: training, Momentum: bn.Momentum, Eps: bn.Eps})
}
