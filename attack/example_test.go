package attack_test

import (
	"context"
	"fmt"
	"math"

	"github.com/robustlab/robustlab/attack"
	"github.com/robustlab/robustlab/data"
	"github.com/robustlab/robustlab/models"
	"github.com/robustlab/robustlab/tensor"
)

// PGD on a batch: the adversarial images stay within eps of the clean ones.
func ExamplePGD() {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	x := tensor.Full(0.5, 2, 3, 16, 16) // two grey images
	eps := 8.0 / 255
	adv, err := attack.PGD(m, x, []int{3, 7}, attack.PGDConfig{Eps: eps, Steps: 10, RandomStart: true, Seed: 1})
	if err != nil {
		panic(err)
	}
	largest := 0.0
	for j, v := range adv.Data() {
		largest = math.Max(largest, math.Abs(float64(v-x.Data()[j])))
	}
	fmt.Printf("largest change %.4f, eps %.4f\n", largest, eps)
	// Output: largest change 0.0314, eps 0.0314
}

// Evaluate a model under FGSM and PGD at two budgets; the report holds the
// accuracy of each attack and of the per-example worst case, and the
// sanity checks.
func ExampleEvaluate() {
	m, err := models.New("smallcnn", models.Options{Width: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	ds, err := data.Open("shapes:test?n=16&size=16")
	if err != nil {
		panic(err)
	}
	specs, err := attack.ParseSpecs("fgsm,pgd?steps=10")
	if err != nil {
		panic(err)
	}
	rep, err := attack.Evaluate(context.Background(), m, ds, attack.EvalConfig{Attacks: specs, Eps: []float64{2.0 / 255, 8.0 / 255}})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Printf("%s at eps %.4f: accuracy on %d images\n", r.Attack, r.Eps, rep.N)
	}
	fmt.Println(len(rep.Checks), "sanity checks")
	// Output:
	// fgsm at eps 0.0078: accuracy on 16 images
	// fgsm at eps 0.0314: accuracy on 16 images
	// pgd?steps=10 at eps 0.0078: accuracy on 16 images
	// pgd?steps=10 at eps 0.0314: accuracy on 16 images
	// worst-case at eps 0.0078: accuracy on 16 images
	// worst-case at eps 0.0314: accuracy on 16 images
	// 7 sanity checks
}
