package train

import (
	"fmt"
	"strings"

	"github.com/robustlab/robustlab/autograd"
	"github.com/robustlab/robustlab/corrupt"
)

// noiseRegime trains on images corrupted by noise: each example, unless it
// is among the CleanFraction left clean, gets one of the named corruptions
// at a severity drawn uniformly from Severities (Geirhos et al. 2018 train
// the same way, one noise family per model, to show that training on one
// noise does not transfer to another).
type noiseRegime struct {
	noises     []*corrupt.Corruption
	severities []int
	clean      float64
}

func newNoiseRegime(c RegimeConfig) (Regime, error) {
	if c.Noise == "" {
		return nil, fmt.Errorf("noise training needs --noise (one or more of %s)", strings.Join(corrupt.Names(), ", "))
	}
	if c.Eps != 0 || c.Steps != 0 || c.Beta != 0 {
		return nil, fmt.Errorf("noise training takes no attack settings")
	}
	r := &noiseRegime{severities: c.Severities, clean: c.CleanFraction}
	for _, name := range strings.Split(c.Noise, ",") {
		cr, err := corrupt.Get(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		r.noises = append(r.noises, cr)
	}
	if len(r.severities) == 0 {
		r.severities = []int{1, 2, 3, 4, 5}
	}
	for _, s := range r.severities {
		if err := corrupt.CheckSeverity(s); err != nil {
			return nil, err
		}
	}
	if r.clean < 0 || r.clean >= 1 {
		return nil, fmt.Errorf("clean fraction %g outside [0, 1)", r.clean)
	}
	return r, nil
}

func (r *noiseRegime) Loss(s *Step) (*autograd.Var, *autograd.Var, error) {
	x := s.Batch.Images
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	noisy := s.Tape.ScratchTensor(n, c, h, w)
	copy(noisy.Data(), x.Data())
	per := c * h * w
	for i := 0; i < n; i++ {
		if r.clean > 0 && s.RNG.Float64() < r.clean {
			continue
		}
		cr := r.noises[s.RNG.IntN(len(r.noises))]
		sev := r.severities[s.RNG.IntN(len(r.severities))]
		cr.Apply(noisy.Data()[i*per:(i+1)*per], c, h, w, sev, s.RNG)
	}
	loss, logits := CrossEntropyLoss(s, noisy)
	return loss, logits, nil
}

func init() { RegisterRegime("noise", newNoiseRegime) }
