package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaticHandlerTypes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"index.html", "app.js", "lrp.wasm", "manifest.webmanifest", "icon.svg", "lib.mjs"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644))
	}
	srv := httptest.NewServer(staticHandler(dir))
	defer srv.Close()
	for _, tc := range []struct{ path, typ string }{
		{"/", "text/html; charset=utf-8"},
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/lib.mjs", "text/javascript; charset=utf-8"},
		{"/lrp.wasm", "application/wasm"},
		{"/manifest.webmanifest", "application/manifest+json"},
		{"/icon.svg", "image/svg+xml"},
	} {
		res, err := http.Get(srv.URL + tc.path)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, "GET %s: status", tc.path)
		assert.Equal(t, tc.typ, res.Header.Get("Content-Type"), "GET %s: Content-Type", tc.path)
		assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"), "GET %s: Cache-Control", tc.path)
	}
	res, err := http.Post(srv.URL+"/app.js", "text/plain", nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, "POST: status")
}
