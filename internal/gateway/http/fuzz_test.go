package httpgw

import (
	"testing"
)

// Whatever a client puts in the path and query, parsing answers with a request or an
// error, never a panic; a request it accepts names a swarm.
func FuzzParseContentRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45", ""},
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45$1024", "t=127.0.0.1:20051"},
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45/film.mp4", "cs=4096&cl=100&hf=2&mt=video/mp4&peer=[::1]:7000"},
		{"nothex", ""}, {"$", "cs=0"}, {"ab/", "mt=%zz"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		req, err := parseContentRequest(path, query)
		if err == nil && req.id == "" {
			t.Errorf("parseContentRequest(%q, %q) accepted no swarm ID", path, query)
		}
	})
}

// Sniffing any first bytes gives a type.
func FuzzSniffType(f *testing.F) {
	for _, tc := range sniffCases {
		f.Add(tc.sample)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if sniffType(b) == "" {
			t.Errorf("sniffType(%x) = \"\"", b)
		}
	})
}
