package swarms

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ResolveInside resolves p (absolute, or relative to root) and checks that it stays inside
// root after following symbolic links, so a destination cannot escape the content
// directory with ".." or a link. p need not exist yet: its deepest existing ancestor is
// resolved and the rest appended.
func ResolveInside(root, p string) (string, error) {
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("content directory %s: %w", root, err)
	}
	rootReal, err = filepath.Abs(rootReal)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(rootReal, p)
	}
	p = filepath.Clean(p)
	// Walk up to the deepest ancestor that exists and resolve it.
	existing, rest := p, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("destination %s: %w", p, err)
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("destination %s: %w", p, err)
	}
	resolved := filepath.Join(real, rest)
	rel, err := filepath.Rel(rootReal, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("destination %s is outside the content directory %s", p, root)
	}
	return resolved, nil
}
