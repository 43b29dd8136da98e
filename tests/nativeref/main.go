// Command nativeref writes the native engine's answers for the Node tests
// of the wasm build (tests/wasm.test.mjs), so that both sides run the same
// package app with the same JSON options.
//
// Usage:
//
//	go run ./tests/nativeref -fixtures DIR -out DIR [-model FILE -cases NAME]
//
// For every NAME.cases.json in the fixtures folder with its NAME.onnx, and
// every config in it that parity.Configs knows, it explains each input and
// writes OUT/NAME.CONFIG.f32 (the relevance maps, float32 little-endian, one
// after the other). With -model it does the same for that model file over
// the inputs of cases NAME, for the epsilon_gamma_box config. OUT/index.json
// lists what was written:
//
//	{"models": [{"name", "file", "cases", "configs": [{"config", "reference",
//	  "native", "options": [JSON string per input], "logits": [[...]]}]}]}
//
// reference is the key of the Zennit maps in the cases file to compare with
// ("relevance_exact_bn_merge" where stored, as the engine folds BatchNorm
// exactly), "" for a model that is not the cases file's own.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/parity"
)

type configOut struct {
	Config    string      `json:"config"`
	Reference string      `json:"reference"`
	Native    string      `json:"native"`
	Options   []string    `json:"options"`
	Logits    [][]float32 `json:"logits"`
}

type modelOut struct {
	Name    string      `json:"name"`
	File    string      `json:"file"`
	Cases   string      `json:"cases"`
	Configs []configOut `json:"configs"`
}

func main() {
	fixtures := flag.String("fixtures", "", "fixtures folder (NAME.cases.json, NAME.onnx)")
	out := flag.String("out", "", "output folder")
	extra := flag.String("model", "", "another model file to explain the inputs of -cases with")
	extraCases := flag.String("cases", "cnn", "the cases whose inputs -model explains")
	flag.Parse()
	if *fixtures == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*fixtures, *out, *extra, *extraCases); err != nil {
		fmt.Fprintln(os.Stderr, "nativeref:", err)
		os.Exit(1)
	}
}

func run(dir, out, extra, extraCases string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.cases.json"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	var index struct {
		Models []modelOut `json:"models"`
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".cases.json")
		file := filepath.Join(dir, name+".onnx")
		if _, err := os.Stat(file); err != nil {
			continue
		}
		c, err := parity.ReadCase(p)
		if err != nil {
			return err
		}
		var configs []string
		for n := range c.Configs {
			if _, ok := parity.Configs[n]; ok {
				configs = append(configs, n)
			}
		}
		sort.Strings(configs)
		m, err := explainAll(name, file, p, c, configs, out, true)
		if err != nil {
			return err
		}
		index.Models = append(index.Models, m)
	}
	if extra != "" {
		p := filepath.Join(dir, extraCases+".cases.json")
		c, err := parity.ReadCase(p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(extra), filepath.Ext(extra))
		m, err := explainAll(name, extra, p, c, []string{"epsilon_gamma_box"}, out, false)
		if err != nil {
			return err
		}
		index.Models = append(index.Models, m)
	}
	b, err := json.MarshalIndent(&index, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "index.json"), b, 0o644)
}

func explainAll(name, file, casesPath string, c *parity.Case, configs []string, out string, own bool) (modelOut, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return modelOut{}, err
	}
	casesAbs, err := filepath.Abs(casesPath)
	if err != nil {
		return modelOut{}, err
	}
	m := modelOut{Name: name, File: abs, Cases: casesAbs}
	data, err := os.ReadFile(file)
	if err != nil {
		return m, err
	}
	s, err := app.Open(data)
	if err != nil {
		return m, fmt.Errorf("%s: %w", file, err)
	}
	for _, cfgName := range configs {
		cfg := parity.Configs[cfgName]
		co := configOut{Config: cfgName, Native: name + "." + cfgName + ".f32"}
		if own {
			co.Reference = "relevance"
			if c.Configs[cfgName].RelevanceExact != nil {
				co.Reference = "relevance_exact_bn_merge"
			}
		}
		var rel []byte
		for i, x := range c.Inputs {
			target := -1
			if own {
				target = c.Predicted[i]
			}
			js, _ := json.Marshal(map[string]any{"composite": cfg.Method, "start": cfg.Start.String(), "target": target})
			o, err := app.ParseOptions(js)
			if err != nil {
				return m, err
			}
			r, err := s.Explain(app.Input{X: x}, o)
			if err != nil {
				return m, fmt.Errorf("%s/%s input %d: %w", name, cfgName, i, err)
			}
			for _, v := range r.Relevance {
				rel = binary.LittleEndian.AppendUint32(rel, math.Float32bits(v))
			}
			co.Options = append(co.Options, string(js))
			co.Logits = append(co.Logits, append([]float32(nil), r.Logits...))
		}
		if err := os.WriteFile(filepath.Join(out, co.Native), rel, 0o644); err != nil {
			return m, err
		}
		m.Configs = append(m.Configs, co)
	}
	return m, nil
}
