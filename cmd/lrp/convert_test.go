package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConvertFixtures converts each fixture ONNX model to float16
// safetensors and checks the size, that every fixture input keeps its top-1
// class, and that info reads the file back.
func TestConvertFixtures(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "cnn_bn"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".safetensors")
			require.NoError(t, runConvert([]string{refdata.Path(t, name+".onnx"), "-o", out, "-samples", "8"}))
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			f, err := model.Load(data)
			require.NoError(t, err)
			params := f.Model.Params()
			header := int(binary.LittleEndian.Uint64(data))
			ratio := float64(len(data)-8-header) / float64(4*params)
			fileRatio := float64(len(data)) / float64(4*params)
			t.Logf("%s: %d parameters, file %d bytes (%.3f× float32), weights %.3f×", name, params, len(data), fileRatio, ratio)
			assert.LessOrEqual(t, ratio, 0.52, "weights over the float32 bytes")
			if params > 10000 {
				assert.LessOrEqual(t, fileRatio, 0.52, "file over the float32 parameter bytes")
			}
			c, err := parity.ReadCase(refdata.Path(t, name+".cases.json"))
			require.NoError(t, err)
			e := lrp.NewExplainer(f.Model)
			for i, x := range c.Inputs {
				logits, err := e.Forward(x)
				require.NoError(t, err)
				assert.Equal(t, c.Predicted[i], lrp.Argmax(logits), "input %d: the float16 model's class against the reference", i)
			}
			var buf bytes.Buffer
			printInfo(&buf, &modelFile{File: f, size: len(data)})
			assert.Contains(t, buf.String(), "valid:      yes", "info output lacks the validation line")
		})
	}
}

// TestConvertArch converts the arch reference models (Concat, MaxPool in
// ceil mode, unfoldable BatchNorm) and the test models of ShuffleNetV2 and
// ConvNeXt (slices, shuffles, LayerNorm) to safetensors: in float32 the file
// computes the ONNX model's logits to the bit, in float16 it keeps every
// reference input's class.
func TestConvertArch(t *testing.T) {
	for _, file := range []string{"arch/squeezenet", "arch/densenet", "../models/shufflenet_v2_x0_5", "../models/convnext_tiny", "../models/convnext_tiny.opset17"} {
		name := filepath.Base(file)
		for _, dtype := range []string{"F32", "F16"} {
			t.Run(name+"/"+dtype, func(t *testing.T) {
				src := refdata.Path(t, file+".onnx")
				out := filepath.Join(t.TempDir(), name+".safetensors")
				require.NoError(t, runConvert([]string{src, "-o", out, "-dtype", dtype, "-samples", "2"}))
				orig, err := os.ReadFile(src)
				require.NoError(t, err)
				want, err := model.Load(orig)
				require.NoError(t, err)
				data, err := os.ReadFile(out)
				require.NoError(t, err)
				got, err := model.Load(data)
				require.NoError(t, err)
				require.Equal(t, len(want.Model.Nodes), len(got.Model.Nodes), "nodes")
				for i, nd := range want.Model.Nodes {
					assert.Equal(t, nd.Inputs, got.Model.Nodes[i].Inputs, "node %d reads", i)
					assert.Equal(t, nd.Layer.Kind(), got.Model.Nodes[i].Layer.Kind(), "node %d kind", i)
				}
				c, err := parity.ReadCase(refdata.Path(t, file+".cases.json"))
				require.NoError(t, err)
				e, ref := lrp.NewExplainer(got.Model), lrp.NewExplainer(want.Model)
				for i, x := range c.Inputs {
					z, err := e.Forward(x)
					require.NoError(t, err)
					if dtype == "F32" {
						zr, err := ref.Forward(x)
						require.NoError(t, err)
						assert.Equal(t, zr, z, "input %d: logits of the float32 file", i)
					}
					assert.Equal(t, c.Predicted[i], lrp.Argmax(z), "input %d: class", i)
				}
			})
		}
	}
}

func TestInfoRejectsGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "garbage.onnx")
	os.WriteFile(p, []byte("this is not a model at all"), 0o644)
	err := runInfo([]string{p})
	assert.ErrorContains(t, err, "model:")
}
