// Package study runs robustlab's main job: a study trains one model per
// regime on the shapes data set (standard, texture-randomized, adversarial,
// noise-augmented, ...), measures every model the same way (clean and
// cue-specific accuracy, shape bias, robust accuracy over eps, noise
// robustness, saliency alignment with the object), and stores everything in
// results.json, from which the report is drawn. A study is resumable: every
// stage writes its result atomically and is skipped when found on disk.
package study

import (
	"encoding/json"
	"math"
	"time"
)

// Results is results.json: everything a study measured. Every number in
// the report comes from here.
type Results struct {
	// Study names the study; Preset is quick or full.
	Study  string `json:"study"`
	Preset string `json:"preset"`
	// Seed is the study's seed; Version is robustlab's.
	Seed    uint64 `json:"seed"`
	Version string `json:"version"`
	// Created is when results.json was written; Seconds is the study's
	// compute time summed over its stages (all runs, if resumed).
	Created time.Time `json:"created"`
	Seconds float64   `json:"seconds"`
	// Arch is the architecture every model shares; ImageSize the shapes
	// images' size.
	Arch      string `json:"arch"`
	ImageSize int    `json:"image_size"`
	// Models holds one entry per regime, in the spec's order.
	Models []ModelResult `json:"models"`
	// SaliencyAgreement is the mean Spearman rank correlation between the
	// models' maps on the same test images (S5 of the seed), per method.
	SaliencyAgreement []Agreement `json:"saliency_agreement"`
	// NoiseFamilies and NoiseSeverities are the test noises of every
	// model's Noise entry.
	NoiseFamilies   []string `json:"noise_families"`
	NoiseSeverities []int    `json:"noise_severities"`
	// Eps are the attack budgets of every model's RobustAccuracy, in [0,1]
	// pixel units.
	Eps []float64 `json:"eps"`
	// SaliencyGrid is the file, relative to the study's folder, holding
	// the saliency grids' data: the grid's test images and every model's
	// maps of them per method (see GridFile), from which the report draws
	// the seed's cover figure.
	SaliencyGrid string `json:"saliency_grid,omitempty"`
}

// ModelResult is everything measured about one model.
type ModelResult struct {
	// Name identifies the model ("standard", "adversarial", ...); Label
	// is how figures show it; Regime is the training regime's name and
	// TrainData the training set's spec.
	Name      string `json:"name"`
	Label     string `json:"label"`
	Regime    string `json:"regime"`
	TrainData string `json:"train_data"`
	// Description says in a sentence how the model was trained.
	Description string `json:"description"`
	// Role is what the report compares the model as (see Roles), from the
	// spec; "" for none.
	Role string `json:"role,omitempty"`
	// TrainNoise names the corruptions a noise regime trained with
	// (comma-separated, as the spec gives them).
	TrainNoise string `json:"train_noise,omitempty"`
	// ModelFile is the model file, relative to the study's folder.
	ModelFile string `json:"model_file"`
	// TrainSeconds is the training's wall time; Epochs its length.
	TrainSeconds float64 `json:"train_seconds"`
	Epochs       int     `json:"epochs"`
	// CleanAccuracy is the accuracy on shapes:test.
	CleanAccuracy float64 `json:"clean_accuracy"`
	// SplitAccuracy is the accuracy on the cue splits: "random-texture",
	// "silhouette", "texture-only".
	SplitAccuracy map[string]float64 `json:"split_accuracy"`
	// ShapeBias is measured on the cue-conflict split.
	ShapeBias ShapeBias `json:"shape_bias"`
	// RobustAccuracy is accuracy under attack for each of Results.Eps.
	RobustAccuracy Robust `json:"robust_accuracy"`
	// Noise is accuracy under each test noise at each severity.
	Noise Noise `json:"noise"`
	// Saliency measures where the model's input gradients fall.
	Saliency map[string]SaliencyStats `json:"saliency"`
}

// ShapeBias is Geirhos et al. 2019's measure on cue-conflict images:
// among the decisions that are either the shape's class or the texture's,
// the fraction that are the shape's. Images whose shape and texture agree
// are not in the set.
type ShapeBias struct {
	// ShapeBias is Shape / (Shape + Texture), NaN (null in JSON) when no
	// decision was for either cue.
	ShapeBias float64 `json:"shape_bias"`
	// Shape, Texture and Neither are the fractions of all conflict images
	// decided by shape, by texture, or as neither cue's class.
	Shape   float64 `json:"shape_fraction"`
	Texture float64 `json:"texture_fraction"`
	Neither float64 `json:"neither_fraction"`
	// N is the number of cue-conflict images.
	N int `json:"n"`
}

// Robust is a model's accuracy under attack at each eps of Results.Eps.
type Robust struct {
	// FGSM and PGD hold accuracy under FGSM and under PGD (Steps steps of
	// 2.5*eps/Steps from a random start) at each eps; Worst is the
	// per-example worst case over both and APGD-CE and APGD-T (10
	// iterations, 3 target classes), which a model that masks its
	// gradients does not escape.
	FGSM  []float64 `json:"fgsm"`
	PGD   []float64 `json:"pgd"`
	Worst []float64 `json:"worst"`
	// Steps is PGD's number of steps; N the number of test images.
	Steps int `json:"pgd_steps"`
	N     int `json:"n"`
	// Warnings are the sanity checks that failed (none is good).
	Warnings []string `json:"warnings"`
}

// Noise is accuracy under test noise: Accuracy[family][s-1] at severity s.
type Noise struct {
	Accuracy map[string][]float64 `json:"accuracy"`
	// Mean is the mean over severities, per family.
	Mean map[string]float64 `json:"mean"`
	// N is the number of test images.
	N int `json:"n"`
}

// SaliencyStats are the mask metrics of one saliency method's maps over
// the test images: the fraction of saliency mass on the object, on its
// boundary band (the shape cue), in its interior (the texture cue), and the
// pointing-game hit rate (the map's maximum lies on the object).
type SaliencyStats struct {
	Object   float64 `json:"object_fraction"`
	Boundary float64 `json:"boundary_fraction"`
	Interior float64 `json:"interior_fraction"`
	Pointing float64 `json:"pointing_game"`
	// ObjectArea is the mean fraction of the image the object covers: the
	// object fraction a map blind to the object would score.
	ObjectArea float64 `json:"object_area"`
	N          int     `json:"n"`
}

// Agreement is the matrix of mean rank correlations between the models'
// maps for one method: Matrix[i][j] for Models[i] and Models[j], NaN (null
// in JSON) where no image's two maps have a defined correlation.
type Agreement struct {
	Method string      `json:"method"`
	Models []string    `json:"models"`
	Matrix [][]float64 `json:"matrix"`
}

// agreementJSON is Agreement as JSON.
type agreementJSON struct {
	Method string       `json:"method"`
	Models []string     `json:"models"`
	Matrix [][]*float64 `json:"matrix"`
}

// MarshalJSON writes a with null for undefined correlations.
func (a Agreement) MarshalJSON() ([]byte, error) {
	j := agreementJSON{Method: a.Method, Models: a.Models}
	if a.Matrix != nil {
		j.Matrix = make([][]*float64, len(a.Matrix))
		for i, row := range a.Matrix {
			j.Matrix[i] = make([]*float64, len(row))
			for k := range row {
				j.Matrix[i][k] = orNull(row[k])
			}
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote, null as NaN.
func (a *Agreement) UnmarshalJSON(b []byte) error {
	var j agreementJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Agreement{Method: j.Method, Models: j.Models}
	if j.Matrix != nil {
		a.Matrix = make([][]float64, len(j.Matrix))
		for i, row := range j.Matrix {
			a.Matrix[i] = make([]float64, len(row))
			for k, v := range row {
				a.Matrix[i][k] = orNaN(v)
			}
		}
	}
	return nil
}

// shapeBiasJSON is ShapeBias as JSON.
type shapeBiasJSON struct {
	ShapeBias *float64 `json:"shape_bias"`
	Shape     *float64 `json:"shape_fraction"`
	Texture   *float64 `json:"texture_fraction"`
	Neither   *float64 `json:"neither_fraction"`
	N         int      `json:"n"`
}

// MarshalJSON writes s with null for an undefined shape bias.
func (s ShapeBias) MarshalJSON() ([]byte, error) {
	return json.Marshal(shapeBiasJSON{orNull(s.ShapeBias), orNull(s.Shape), orNull(s.Texture), orNull(s.Neither), s.N})
}

// UnmarshalJSON reads what MarshalJSON wrote, null as NaN.
func (s *ShapeBias) UnmarshalJSON(b []byte) error {
	var j shapeBiasJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = ShapeBias{orNaN(j.ShapeBias), orNaN(j.Shape), orNaN(j.Texture), orNaN(j.Neither), j.N}
	return nil
}

// orNull is v, or nil for NaN: a value that was not measured is null in
// JSON, never a number.
func orNull(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// orNaN reads orNull's value back.
func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
