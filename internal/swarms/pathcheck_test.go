package swarms

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// contentDir makes a content directory with a subdirectory and a sibling directory
// outside it, and returns their resolved paths.
func contentDir(t *testing.T) (root, outside string) {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(base, "content")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

func TestResolveInsideAccepts(t *testing.T) {
	root, _ := contentDir(t)
	if err := os.Symlink(filepath.Join(root, "sub"), filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"":                              root,
		".":                             root,
		"sub":                           filepath.Join(root, "sub"),
		"sub/new/file.bin":              filepath.Join(root, "sub", "new", "file.bin"),
		"sub/../other":                  filepath.Join(root, "other"),
		"alias/x":                       filepath.Join(root, "sub", "x"),
		filepath.Join(root, "sub", "y"): filepath.Join(root, "sub", "y"),
	}
	for in, want := range cases {
		got, err := ResolveInside(root, in)
		if err != nil {
			t.Errorf("ResolveInside(%q): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("ResolveInside(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveInsideRefusesDotDot(t *testing.T) {
	root, outside := contentDir(t)
	for _, in := range []string{"..", "../outside", "sub/../../outside/f", outside, "/etc/passwd", filepath.Join(root, "..", "x")} {
		if got, err := ResolveInside(root, in); !errors.Is(err, ErrOutside) {
			t.Errorf("ResolveInside(%q) = %q, %v; want ErrOutside", in, got, err)
		}
	}
}

func TestResolveInsideRefusesSymlinkEscape(t *testing.T) {
	root, outside := contentDir(t)
	// A directory link, a file link, and a link further down the path.
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(outside, "victim")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(root, "sub", "file")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside", filepath.Join(root, "sub", "up")); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"escape", "escape/new/file", "sub/file", "sub/up/z"} {
		if got, err := ResolveInside(root, in); !errors.Is(err, ErrOutside) {
			t.Errorf("ResolveInside(%q) = %q, %v; want ErrOutside", in, got, err)
		}
	}
}

func TestResolveInsideRefusesDanglingSymlink(t *testing.T) {
	root, outside := contentDir(t)
	// Creating "dangling" would create a file outside the content directory.
	if err := os.Symlink(filepath.Join(outside, "not-yet"), filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	if got, err := ResolveInside(root, "dangling"); err == nil {
		t.Errorf("ResolveInside(dangling) = %q, want an error", got)
	}
}

func TestResolveInsideSymlinkedRoot(t *testing.T) {
	// A content directory reached through a symlink still contains its own files.
	root, _ := contentDir(t)
	link := filepath.Join(filepath.Dir(root), "content-link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	got, err := ResolveInside(link, "sub/f")
	if err != nil || got != filepath.Join(root, "sub", "f") {
		t.Errorf("ResolveInside via linked root = %q, %v", got, err)
	}
}

func TestResolveInsideBadInput(t *testing.T) {
	root, _ := contentDir(t)
	if _, err := ResolveInside("", "x"); err == nil {
		t.Error("empty root accepted")
	}
	if _, err := ResolveInside(root, "a\x00b"); err == nil {
		t.Error("NUL byte accepted")
	}
	if _, err := ResolveInside(filepath.Join(root, "missing"), "x"); err == nil {
		t.Error("missing root accepted")
	}
}
