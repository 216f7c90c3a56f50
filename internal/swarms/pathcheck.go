package swarms

import (
	"errors"
	"fmt"
	"github.com/ppsppd/ppsppd/internal/storage"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutside is returned (wrapped) by ResolveInside for a path that leaves its root.
var ErrOutside = errors.New("path is outside the content directory")

// ResolveInside resolves p (relative paths are taken from root) to an absolute path with
// every symlink followed, and refuses it unless it lies in root or below. A gateway
// client names destinations (libswift's START destdir), so without this check a
// "../../etc" or a symlink planted inside the content directory could make the daemon
// write anywhere its user can.
//
// The path need not exist yet: its deepest existing ancestor is resolved with
// filepath.EvalSymlinks and the missing rest is appended (after filepath.Clean it holds
// no ".."). A dangling symlink on the way is refused, since creating the file would
// follow it. The check is made once; a symlink swapped in afterwards by someone with
// write access to the content directory is not caught (that user can write there anyway).
func ResolveInside(root, p string) (string, error) {
	if root == "" {
		return "", errors.New("resolve path: no content directory configured")
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("resolve path %q: holds a NUL byte", p)
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("resolve content directory %q: %w", root, err)
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return "", fmt.Errorf("resolve content directory %q: %w", root, err)
	}
	full := p
	if !filepath.IsAbs(full) {
		full = filepath.Join(absRoot, full)
	}
	full = filepath.Clean(full)
	resolved, err := resolveExisting(full)
	if err != nil {
		return "", fmt.Errorf("resolve path %q: %w", p, err)
	}
	if !within(realRoot, resolved) {
		return "", fmt.Errorf("resolve path %q: %w (%s)", p, ErrOutside, root)
	}
	return resolved, nil
}

// resolveExisting follows symlinks in the deepest existing ancestor of the clean absolute
// path full and appends the components that do not exist yet.
func resolveExisting(full string) (string, error) {
	existing, rest := full, ""
	for {
		_, err := os.Lstat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			// Not even the file system root exists; nothing to resolve.
			return full, nil
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		// Lstat found it, so this is a dangling symlink (or a loop): creating the
		// file would follow it to a place not checked here.
		return "", fmt.Errorf("%s: %w", existing, err)
	}
	if rest == "" {
		return real, nil
	}
	return filepath.Join(real, rest), nil
}

// within reports whether p is root or lies below it (both clean and absolute).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// SeedCandidate says whether a local file is content that may be seeded, and why not:
// checkpoints, libswift's hash and bitmap files, and downloads still in progress are not
// (the rule lives in storage, which knows its own files).
func SeedCandidate(path string) (ok bool, reason string) { return storage.SeedCandidate(path) }
