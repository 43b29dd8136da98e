package main

import (
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'"

// site builds a folder to serve, web/ inside base/ (base/secret.txt is one
// step up from it), and symlinks from it into a second temp dir. Every
// file outside web/, and every dotfile, holds "SECRET".
func site(t *testing.T) string {
	t.Helper()
	base, other := t.TempDir(), t.TempDir()
	web := filepath.Join(base, "web")
	files := map[string]string{
		"index.html":         `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="` + testCSP + `"><title>ok</title>`,
		"app.js":             "ok",
		"sub/a.txt":          "ok",
		"docs/index.html":    "ok",
		".env":               "SECRET",
		".git/config":        "SECRET",
		"sub/.hidden":        "SECRET",
		"../secret.txt":      "SECRET",
		"../other/other.txt": "SECRET",
	}
	for name, body := range files {
		p := filepath.Join(web, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(other, "dir"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "passwd"), []byte("SECRET"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "dir", "index.html"), []byte("SECRET"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "dir", "key.txt"), []byte("SECRET"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(web, "trap"), 0o755))
	for link, target := range map[string]string{
		"out-file":        filepath.Join(other, "passwd"),
		"out-dir":         filepath.Join(other, "dir"),
		"out-relative":    "../secret.txt",
		"trap/index.html": filepath.Join(other, "passwd"),
		"to-dotfile":      ".env",
		"dangling":        "nowhere",
		"in-file":         "app.js",
		"in-dir":          "docs",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(web, link)))
	}
	return web
}

// request sends method target to srv with the Host header host ("" keeps
// the server's own 127.0.0.1:port) and returns the response and its body.
func request(t *testing.T, srv *httptest.Server, method, host, target string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, nil)
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

// serve starts the handler of lrp serve on dir, allowing hosts.
func serve(t *testing.T, dir string, hosts ...string) *httptest.Server {
	t.Helper()
	h, err := serveHandler(dir, hosts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// assertSecurityHeaders checks the headers every response of lrp serve
// carries, whatever its status.
func assertSecurityHeaders(t *testing.T, what string, h http.Header, csp string) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy":    csp + "; frame-ancestors 'none'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	} {
		assert.Equal(t, want, h.Get(k), "%s: %s: got %q, want %q", what, k, h.Get(k), want)
	}
}

// TestServeRefuses requests every kind of path lrp serve must refuse, and
// its neighbours that it must serve.
func TestServeRefuses(t *testing.T) {
	srv := serve(t, site(t))
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", 200},
		{"GET", "/app.js", 200},
		{"HEAD", "/app.js", 200},
		{"GET", "/sub/a.txt", 200},
		{"GET", "/docs/", 200}, // a directory with index.html
		{"GET", "/sub/", 404},  // a directory without one is not listed
		{"GET", "/sub", 404},   // nor redirected to its listing
		{"GET", "/trap/", 404}, // nor served when its index.html links out
		{"GET", "/.env", 404},  // dotfile
		{"GET", "/.git/config", 404},
		{"GET", "/.git/", 404},
		{"GET", "/sub/.hidden", 404},
		{"GET", "/%2egit/config", 404},
		{"GET", "/../secret.txt", 404},
		{"GET", "/%2e%2e/secret.txt", 404},
		{"GET", "/%2e%2e%2fsecret.txt", 404},
		{"GET", "/sub/%2e%2e/%2e%2e/secret.txt", 404},
		{"GET", "/out-file", 404}, // symlink to a file in another temp dir
		{"GET", "/out-dir/", 404}, // symlink to a directory there
		{"GET", "/out-dir/key.txt", 404},
		{"GET", "/out-relative", 404}, // ../secret.txt
		{"GET", "/to-dotfile", 404},   // inside, but to .env
		{"GET", "/dangling", 404},
		{"GET", "/in-file", 200}, // symlinks that stay inside are fine
		{"GET", "/in-dir/", 200},
		{"POST", "/app.js", 405},
		{"PUT", "/app.js", 405},
		{"DELETE", "/app.js", 405},
		{"OPTIONS", "/", 405},
	} {
		what := tc.method + " " + tc.path
		res, body := request(t, srv, tc.method, "", tc.path)
		assert.Equal(t, tc.want, res.StatusCode, "%s: got status %d, want %d", what, res.StatusCode, tc.want)
		assert.NotContains(t, body, "SECRET", "%s: body %q holds a file it must not serve", what, body)
		assertSecurityHeaders(t, what, res.Header, testCSP)
		if tc.want == 405 {
			assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"), "%s: Allow header", what)
		}
	}
}

// TestServeHost checks the Host header: loopback names pass with or
// without a port, any other name (a DNS-rebinding page's) is refused
// unless -host names it.
func TestServeHost(t *testing.T) {
	dir := site(t)
	plain, extra := serve(t, dir), serve(t, dir, "lrp.test", "Box.Local:9000")
	for _, tc := range []struct {
		srv  *httptest.Server
		host string
		want int
	}{
		{plain, "localhost", 200},
		{plain, "localhost:8080", 200},
		{plain, "LocalHost:8080", 200},
		{plain, "127.0.0.1", 200},
		{plain, "127.0.0.1:1", 200},
		{plain, "[::1]", 200},
		{plain, "[::1]:8080", 200},
		{plain, "evil.example", 421},
		{plain, "evil.example:8080", 421}, // DNS rebinding: the attacker's name, our port
		{plain, "localhost.evil.example", 421},
		{plain, "127.0.0.1.nip.io:8080", 421},
		{plain, "0.0.0.0:8080", 421},
		{plain, "lrp.test", 421},
		{extra, "lrp.test", 200},
		{extra, "lrp.test:8080", 200},
		{extra, "box.local", 200},
		{extra, "localhost:8080", 200},
		{extra, "evil.example:8080", 421},
	} {
		what := "Host " + tc.host
		if tc.srv == extra {
			what += " with -host lrp.test,box.local"
		}
		res, body := request(t, tc.srv, "GET", tc.host, "/")
		assert.Equal(t, tc.want, res.StatusCode, "%s: got status %d, want %d", what, res.StatusCode, tc.want)
		if tc.want != 200 {
			assert.NotContains(t, body, "<title>ok</title>", "%s: the page was served", what)
		}
		assertSecurityHeaders(t, what, res.Header, testCSP)
	}
}

// TestServeHostFlag parses -host as lrp serve does: repeatable,
// comma-separated, port and case ignored.
func TestServeHostFlag(t *testing.T) {
	var hosts hostList
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Var(&hosts, "host", "")
	require.NoError(t, fs.Parse([]string{"-host", "a.test, B.test:8080", "-host", "[fd00::1]"}))
	want := hostList{"a.test", "b.test", "fd00::1"}
	assert.Equal(t, want, hosts, "got %q, want %q", hosts, want)

	fs.SetOutput(io.Discard)
	assert.Error(t, fs.Parse([]string{"-host", "a.test,,b.test"}), "an empty name must be refused")
}

// TestServeHeaders checks the headers of a 200 and a 404: the security
// headers, and the Cache-Control and MIME types of the static handler.
func TestServeHeaders(t *testing.T) {
	srv := serve(t, site(t))
	for _, tc := range []struct {
		path   string
		status int
		typ    string
	}{
		{"/", 200, "text/html; charset=utf-8"},
		{"/app.js", 200, "text/javascript; charset=utf-8"},
		{"/missing.js", 404, "text/plain; charset=utf-8"},
		{"/.env", 404, "text/plain; charset=utf-8"},
	} {
		res, _ := request(t, srv, "GET", "", tc.path)
		require.Equal(t, tc.status, res.StatusCode, "GET %s: got status %d, want %d", tc.path, res.StatusCode, tc.status)
		assertSecurityHeaders(t, "GET "+tc.path, res.Header, testCSP)
		assert.Equal(t, tc.typ, res.Header.Get("Content-Type"), "GET %s: Content-Type", tc.path)
		if tc.status == 200 {
			assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"), "GET %s: Cache-Control", tc.path)
		}
	}
}

// TestServeWebCSP serves the real web/ folder: the header carries exactly
// the policy of web/index.html's meta tag, plus frame-ancestors 'none'.
func TestServeWebCSP(t *testing.T) {
	page, err := os.ReadFile("../../web/index.html")
	require.NoError(t, err)
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindSubmatch(page)
	require.NotNil(t, m, "web/index.html has no CSP meta tag")
	meta := string(m[1])
	require.Contains(t, meta, "'wasm-unsafe-eval'")

	res, body := request(t, serve(t, "../../web"), "GET", "", "/")
	require.Equal(t, 200, res.StatusCode)
	require.True(t, strings.Contains(body, meta), "GET / did not serve web/index.html")
	assertSecurityHeaders(t, "GET / of web/", res.Header, meta)
}

// TestServeNeedsCSP: a folder whose index.html has no policy to repeat is
// refused at start rather than served without one.
func TestServeNeedsCSP(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<meta name=x content=y>"), 0o644))
	_, err := serveHandler(dir, nil)
	assert.ErrorContains(t, err, "Content-Security-Policy")
	_, err = serveHandler(t.TempDir(), nil)
	assert.Error(t, err, "a folder without index.html")
}
