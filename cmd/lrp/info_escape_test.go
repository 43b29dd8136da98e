package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

// The attacks a file can carry in its strings: retitle the terminal, clear
// it, return the cursor, reverse what follows.
const (
	retitle = "\x1b]0;pwned\x07"
	clear   = "\x1b[2J"
	rlo     = "\u202e"
)

func TestPrintable(t *testing.T) {
	long := strings.Repeat("é", maxPrintable) // 2 bytes each: the cut falls on a rune boundary
	for _, tc := range []struct{ in, want string }{
		{"mnist cnn: 0–9, 28×28 → 10 ✓", "mnist cnn: 0–9, 28×28 → 10 ✓"},
		{retitle, `\x1b]0;pwned\x07`},
		{clear + "x", `\x1b[2Jx`},
		{"a\rb\nc\td\x00e\x7f", `a\rb\nc\td\x00e\x7f`},
		{"\u009b2J \u0085", `\u009b2J \u0085`}, // C1: CSI and NEL as runes
		{"\x9b2J \xff", `\x9b2J \xff`},         // and as bytes that are not UTF-8
		{"abc" + rlo + "gpj.exe", `abc\u202egpj.exe`},
		{"\u202a\u202b\u202c\u202d \u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d \u2066\u2067\u2068\u2069`},
		{"\u200b\ufeff\u2028", "\u200b\ufeff\u2028"}, // not controls a terminal acts on
		{long, long[:maxPrintable] + "… (2048 bytes)"},
		{"x" + long, "x" + long[:maxPrintable-2] + "… (2049 bytes)"},
	} {
		got := printable(tc.in)
		assert.Equal(t, tc.want, got, "printable(%q): got %q, want %q", tc.in, got, tc.want)
	}
}

func TestTrimRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"conv1", 18, "conv1"},
		{"features.0.weight.long", 18, "features.0.weight…"},
		{"ééééééééééé", 18, "éééééééé…"}, // 22 bytes: cut at 16, not inside an é
	} {
		got := trim(tc.in, tc.n)
		assert.Equal(t, tc.want, got, "trim(%q, %d): got %q, want %q", tc.in, tc.n, got, tc.want)
		assert.True(t, utf8.ValidString(got), "trim(%q, %d) = %q is not UTF-8", tc.in, tc.n, got)
	}
}

// evilModel writes a valid safetensors model whose name, labels, node name
// and card carry terminal escapes, and returns its path.
func evilModel(t *testing.T, dir string) string {
	t.Helper()
	nodes := []lrp.Node{{Name: "fc" + clear, Inputs: []int{lrp.Input},
		Layer: &lrp.Dense{In: 4, Out: 2, W: []float32{1, 1, 0, 0, 0, 0, 1, 1}, B: []float32{0, 0}}}}
	m, err := lrp.NewModel("mnist"+retitle, lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}, nodes,
		[]string{"cat\r" + clear, rlo + "god"})
	require.NoError(t, err)
	card := map[string]string{"description": retitle + "hello\nvalid: yes\r" + rlo, "key" + clear: "v"}
	b, err := model.EncodeSafetensors(m, card, "F32")
	require.NoError(t, err)
	path := filepath.Join(dir, "evil.safetensors")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// assertEscaped checks that out holds none of the raw controls and each of
// the escapes.
func assertEscaped(t *testing.T, what, out string, escapes ...string) {
	t.Helper()
	for i, r := range out {
		bad := r == utf8.RuneError || r < 0x20 && r != '\n' || 0x7f <= r && r <= 0x9f ||
			0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
		assert.False(t, bad, "%s: raw %U at byte %d of %q", what, r, i, out)
	}
	for _, e := range escapes {
		assert.Contains(t, out, e, "%s: got %q, want it to show %s", what, out, e)
	}
}

func TestInfoEscapes(t *testing.T) {
	path := evilModel(t, t.TempDir())
	out, err := stdout(t, func() error { return runInfo([]string{path}) })
	require.NoError(t, err)
	assertEscaped(t, "lrp info", out,
		`model:      mnist\x1b]0;pwned\x07`, // name
		`cat\r\x1b[2J, \u202egod`,           // labels
		`fc\x1b[2J`,                         // node name
		`description: \x1b]0;pwned\x07hello\nvalid: yes\r\u202e`, // card value
		`key\x1b[2J: v`, // card key
	)
	valid := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "valid:") {
			valid++
		}
	}
	assert.Equal(t, 1, valid, "a card value must not add a line to the report: got %d valid: lines, want 1:\n%s", valid, out)
}

// TestMainProcess is not a test: TestCLIEscapes runs the test binary with
// LRP_TEST_ARGS (a JSON array), and this runs main with those arguments.
func TestMainProcess(t *testing.T) {
	js := os.Getenv("LRP_TEST_ARGS")
	if js == "" {
		t.Skip("the helper process of TestCLIEscapes")
	}
	var args []string
	require.NoError(t, json.Unmarshal([]byte(js), &args))
	os.Args = append([]string{"lrp"}, args...)
	main()
	os.Exit(0)
}

// TestCLIEscapes runs lrp as a process on files whose names carry escapes:
// the error line main prints, and explain's line per failed input, show
// them escaped.
func TestCLIEscapes(t *testing.T) {
	dir := t.TempDir()
	modelPath := evilModel(t, dir)
	badModel := filepath.Join(dir, "m"+retitle+rlo+".safetensors")
	require.NoError(t, os.WriteFile(badModel, []byte("not a model"), 0o644))
	badImage := filepath.Join(dir, "img"+clear+"\r.png")
	require.NoError(t, os.WriteFile(badImage, []byte("not a png"), 0o644))
	for _, tc := range []struct {
		name    string
		args    []string
		escapes []string
	}{
		{"info on a bad model", []string{"info", badModel}, []string{`m\x1b]0;pwned\x07\u202e.safetensors: `}},
		{"explain on a bad image", []string{"explain", "-model", modelPath, badImage, "-o", filepath.Join(dir, "out")},
			[]string{`img\x1b[2J\r.png: `}},
	} {
		js, err := json.Marshal(tc.args)
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
		cmd.Env = append(os.Environ(), "LRP_TEST_ARGS="+string(js))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s: want exit status 1, stderr:\n%s", tc.name, stderr.String())
		assert.Equal(t, 1, exit.ExitCode(), "%s: exit status", tc.name)
		assertEscaped(t, tc.name, stderr.String(), tc.escapes...)
	}
}
