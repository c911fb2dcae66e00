// Package attack crafts adversarial examples and measures robustness:
// FGSM (Goodfellow et al. 2015), PGD in Linf and L2 (Madry et al. 2018),
// APGD with cross-entropy or DLR loss and its targeted APGD-T (Croce & Hein
// 2020), the minimum-norm FAB and FAB-T (Croce & Hein 2020, ICML) and the
// score-based Square attack (Andriushchenko et al. 2020), AutoAttack's
// suites of them (autoattack, autoattack-plus: each stage on what the
// previous left robust, reported as RobustBench does), robust accuracy as
// the per-example worst case over a list of attacks and budgets (Evaluate),
// and the sanity checks that catch an evaluation fooled by gradient masking
// (Carlini et al. 2019, "On Evaluating Adversarial Robustness"; the flags of
// Croce & Hein's AutoAttack).
//
// Conventions, shared with the rest of robustlab: images are N x C x H x W
// in [0,1] and budgets (eps, step sizes) are in those pixel units, since
// every model normalizes its inputs itself; the model is attacked in
// evaluation mode (batch norm running statistics, no dropout) and its mode
// is restored afterwards, unless a training regime asks to keep it; every
// random draw comes from a generator the caller seeds, so an attack is
// reproducible bit for bit.
//
// Examples of a batch are independent (evaluation mode couples nothing
// across the batch), so the iterative attacks drop an example from the
// batch they compute on as soon as it is done with (fooled, when the caller
// only needs to know whether it can be fooled): on an undefended model most
// examples fall in a step or two and the rest of the attack costs little.
package attack
