package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/robustlab/robustlab/study"
)

// texts are the findings' texts, one per line.
func texts(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Topic + ": " + f.Text + "\n")
	}
	return b.String()
}

func TestFindingsStateTheNumbers(t *testing.T) {
	r := syntheticResults()
	got := texts(Findings(r))
	std, tex, adv := r.Models[0], r.Models[1], r.Models[2]
	sp := r.Models[3]
	want := []string{
		fmt.Sprintf("Shape bias is %.2f for texture-randomized (the shape-biased model) vs %.2f for standard (difference +%.2f, more than twice",
			tex.ShapeBias.ShapeBias, std.ShapeBias.ShapeBias, tex.ShapeBias.ShapeBias-std.ShapeBias.ShapeBias),
		"At eps 8/255, PGD accuracy is 51.0% for adversarial vs 0.0% for standard (+51.0 points, more than twice",
		fmt.Sprintf("under salt-pepper noise from %.1f%% to %.1f%% (+", 100*std.Noise.Mean["salt-pepper"], 100*sp.Noise.Mean["salt-pepper"]),
		fmt.Sprintf("under uniform noise from %.1f%% to %.1f%% (+1.8 points, within twice its standard error", 100*std.Noise.Mean["uniform"], 100*sp.Noise.Mean["uniform"]),
		fmt.Sprintf("The share of gradient mass on the object is %.1f%% for adversarial vs %.1f%% for standard", 100*adv.Saliency["gradient"].Object, 100*std.Saliency["gradient"].Object),
		"Clean accuracy ranges from 90.2% (adversarial) to 98.1% (standard).",
		"from most to least alike: texture-randomized 0.62, noise-salt-pepper 0.62, noise-uniform 0.62, adversarial 0.21.",
		"Across the 5 models, shape bias and PGD accuracy at eps 8/255 have Spearman rank correlation",
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("findings lack %q:\n%s", w, got)
		}
	}
}

func TestFindingsSayNoDifferenceWhenThereIsNone(t *testing.T) {
	r := syntheticResults()
	// The adversarial model measured exactly like the standard one.
	std := r.Models[0]
	r.Models[2].ShapeBias = std.ShapeBias
	r.Models[2].RobustAccuracy = std.RobustAccuracy
	r.Models[2].Saliency = std.Saliency
	for i := range r.Models {
		r.Models[i].CleanAccuracy = 0.9
	}
	got := texts(Findings(r))
	for _, w := range []string{
		fmt.Sprintf("Shape bias is %.2f for adversarial vs %.2f for standard (difference +0.00, within twice its standard error of", std.ShapeBias.ShapeBias, std.ShapeBias.ShapeBias),
		"no clear difference",
		"Clean accuracy is 90.0% for all 5 models.",
		"PGD accuracy is 0.0% for adversarial vs 0.0% for standard (+0.0 points, within twice",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("findings lack %q:\n%s", w, got)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, "for adversarial vs") && strings.Contains(line, "more than twice") {
			t.Errorf("an identical pair was called different: %s", line)
		}
	}
}

func TestFindingsFollowTheRoles(t *testing.T) {
	r := syntheticResults()
	// A user's own spec: no model carries a default name, regimes say
	// nothing the findings could guess from, and the roles say who is who.
	names := []string{"baseline", "sin", "madry", "sp", "un"}
	for i := range r.Models {
		r.Models[i].Name = names[i]
		r.Models[i].Regime = "custom"
		r.Models[i].TrainData = "shapes:train"
		r.Models[i].Description = ""
	}
	r.Models[4].TrainNoise = "fog" // not a test noise: no transfer claim
	r.SaliencyAgreement = nil
	got := texts(Findings(r))
	for _, w := range []string{
		"PGD accuracy is 51.0% for madry (the adversarial model) vs 0.0% for baseline (the standard model)",
		"for sin (the shape-biased model) vs",
		"Training with salt-pepper noise (sp rather than baseline (the standard model))",
		"Clean accuracy ranges from",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("findings lack %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "(un rather than") {
		t.Errorf("a transfer claim about a model trained on no test noise:\n%s", got)
	}
	// Without roles, nothing is compared by role: names and regimes are
	// not guessed at.
	for i := range r.Models {
		r.Models[i].Role = ""
	}
	r.Models[0].Name, r.Models[0].Regime = "standard", "standard"
	got = texts(Findings(r))
	for _, bad := range []string{"Training with", "the adversarial model", "for standard (", "Shape bias is"} {
		if strings.Contains(got, bad) {
			t.Errorf("findings claim %q without roles:\n%s", bad, got)
		}
	}

	// A single model: nothing to compare, and no panic.
	one := &study.Results{Models: []study.ModelResult{{Name: "x", CleanAccuracy: 0.5}}}
	if fs := Findings(one); len(fs) != 0 {
		t.Errorf("findings for one model: %v", fs)
	}
}

func TestNoiseFindingWithoutStandardModel(t *testing.T) {
	r := syntheticResults()
	r.Models = r.Models[3:] // only the two noise models
	got := texts(Findings(r))
	if !strings.Contains(got, "Trained with salt-pepper noise, noise-salt-pepper has mean accuracy 94.4% under salt-pepper noise and 58.8% under uniform noise, 55.6% under gaussian noise.") {
		t.Errorf("findings:\n%s", got)
	}
}

func TestTrainedFamily(t *testing.T) {
	fams := []string{"salt-pepper", "uniform", "gaussian"}
	for _, c := range []struct {
		noise, want string
	}{{"salt-pepper", "salt-pepper"}, {"fog, uniform", "uniform"}, {"fog", ""}, {"", ""}} {
		m := study.ModelResult{Role: "noise", TrainNoise: c.noise}
		if got := trainedFamily(&m, fams); got != c.want {
			t.Errorf("train noise %q: %q, want %q", c.noise, got, c.want)
		}
	}
}

func TestDifference(t *testing.T) {
	for _, c := range []struct {
		a, b, seA, seB float64
		unit, want     string
	}{
		{0.9, 0.5, 0.01, 0.01, "points", "+40.0 points, more than twice its standard error of 1.4 points"},
		{0.51, 0.5, 0.01, 0.01, "points", "+1.0 points, within twice its standard error of 1.4 points: no clear difference"},
		{0.2, 0.5, 0, 0, "points", "-30.0 points"},
		{0.91, 0.10, 0.006, 0.008, "%.2f", "difference +0.81, more than twice its standard error of 0.01"},
	} {
		if got := difference(c.a, c.b, c.seA, c.seB, c.unit); got != c.want {
			t.Errorf("difference(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}

func TestTrainedNoiseCells(t *testing.T) {
	got := trainedNoiseCells(syntheticResults())
	// noise-salt-pepper (row 3) under salt-pepper (column 1 after clean),
	// noise-uniform (row 4) under uniform (column 2).
	want := map[[2]int]bool{{3, 1}: true, {4, 2}: true}
	if len(got) != len(want) || !got[[2]int{3, 1}] || !got[[2]int{4, 2}] {
		t.Errorf("framed cells %v, want %v", got, want)
	}
}
