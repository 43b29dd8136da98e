package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
)

// TestConvertFixtures converts each fixture ONNX model to float16
// safetensors and checks the size, that every fixture input keeps its top-1
// class, and that info reads the file back.
func TestConvertFixtures(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "cnn_bn"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".safetensors")
			if err := runConvert([]string{refdata.Path(t, name+".onnx"), "-o", out, "-samples", "8"}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f, err := model.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			params := f.Model.Params()
			header := int(binary.LittleEndian.Uint64(data))
			ratio := float64(len(data)-8-header) / float64(4*params)
			fileRatio := float64(len(data)) / float64(4*params)
			t.Logf("%s: %d parameters, file %d bytes (%.3f× float32), weights %.3f×", name, params, len(data), fileRatio, ratio)
			if ratio > 0.52 {
				t.Errorf("weights take %.3f× the float32 bytes, want ≤ 0.52", ratio)
			}
			if params > 10000 && fileRatio > 0.52 {
				t.Errorf("file is %.3f× the float32 parameter bytes, want ≤ 0.52", fileRatio)
			}
			c, err := parity.ReadCase(refdata.Path(t, name+".cases.json"))
			if err != nil {
				t.Fatal(err)
			}
			e := lrp.NewExplainer(f.Model)
			for i, x := range c.Inputs {
				logits, err := e.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				if got := lrp.Argmax(logits); got != c.Predicted[i] {
					t.Errorf("input %d: float16 model predicts %d, reference %d", i, got, c.Predicted[i])
				}
			}
			var buf bytes.Buffer
			printInfo(&buf, &modelFile{File: f, size: len(data)})
			if !strings.Contains(buf.String(), "valid:      yes") {
				t.Errorf("info output lacks the validation line:\n%s", buf.String())
			}
		})
	}
}

func TestInfoRejectsGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "garbage.onnx")
	os.WriteFile(p, []byte("this is not a model at all"), 0o644)
	err := runInfo([]string{p})
	if err == nil || !strings.Contains(err.Error(), "model:") {
		t.Errorf("got %v, want a model: error", err)
	}
}
