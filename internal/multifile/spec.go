package multifile

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SpecName is the path the spec gives itself on its first line (libswift's
// Storage::MULTIFILE_PATHNAME); content beginning with it and a space is a multi-file swarm.
const SpecName = "META-INF-multifilespec.txt"

// Limits on what Parse accepts, so a peer's spec cannot make us allocate without bound.
const (
	// MaxPathLen is libswift's MULTIFILE_MAX_PATH: its reader cannot take longer paths.
	MaxPathLen = 2048
	// MaxSpecLen bounds the spec: about 100,000 files of ordinary path length.
	MaxSpecLen = 8 << 20
)

// ErrNotMultifile: the content does not begin with a spec line.
var ErrNotMultifile = errors.New("multifile: content has no multi-file spec")

// ErrBadSpec wraps every reason Parse refuses a spec.
var ErrBadSpec = errors.New("multifile: bad spec")

// File is one entry of a spec: its path ("/"-separated, relative), its size, and where
// its bytes start in the swarm.
type File struct {
	Path   string
	Size   int64
	Offset int64
}

// Spec is a validated spec: files sorted by path, offsets assigned.
type Spec struct {
	files   []File
	specLen int64
}

// New makes the spec of a set of files (given in any order; Offset is ignored and set).
func New(files []File) (*Spec, error) {
	fs := append([]File(nil), files...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fromSorted(fs)
}

// fromSorted validates files, which must already be in path order (validate refuses them
// otherwise: a peer's spec that is not sorted is not libswift's), and lays them out.
func fromSorted(fs []File) (*Spec, error) {
	s := &Spec{files: fs}
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.specLen = specLen(fs)
	if s.specLen > MaxSpecLen {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadSpec, s.specLen, MaxSpecLen)
	}
	off := s.specLen
	for i := range s.files {
		s.files[i].Offset = off
		if off+s.files[i].Size < off {
			return nil, fmt.Errorf("%w: total size overflows", ErrBadSpec)
		}
		off += s.files[i].Size
	}
	return s, nil
}

// specLen is the length of the encoded spec: the body plus a first line whose number
// counts its own digits, the smallest length that is a fixed point.
func specLen(files []File) int64 {
	body := int64(0)
	for _, f := range files {
		body += int64(len(f.Path)) + 1 + int64(len(strconv.FormatInt(f.Size, 10))) + 1
	}
	base := int64(len(SpecName)) + 2 + body // name, space, newline
	for digits := int64(1); ; digits++ {
		if int64(len(strconv.FormatInt(base+digits, 10))) == digits {
			return base + digits
		}
	}
}

// validate checks paths, sizes, order and that no path is also another's directory.
func (s *Spec) validate() error {
	if len(s.files) == 0 {
		return fmt.Errorf("%w: no files", ErrBadSpec)
	}
	seen := make(map[string]bool, len(s.files))
	for i, f := range s.files {
		if err := CheckPath(f.Path); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSpec, err)
		}
		if f.Size < 0 {
			return fmt.Errorf("%w: %q has size %d", ErrBadSpec, f.Path, f.Size)
		}
		if i > 0 && s.files[i-1].Path >= f.Path {
			return fmt.Errorf("%w: %q is not after %q (paths must be sorted and unique)", ErrBadSpec, f.Path, s.files[i-1].Path)
		}
		seen[f.Path] = true
	}
	for _, f := range s.files {
		for dir := f.Path; ; {
			j := strings.LastIndexByte(dir, '/')
			if j < 0 {
				break
			}
			dir = dir[:j]
			if seen[dir] {
				return fmt.Errorf("%w: %q is a file and the directory of %q", ErrBadSpec, dir, f.Path)
			}
		}
	}
	return nil
}

// CheckPath accepts a relative "/"-separated path whose every component is a plain name:
// not empty, not "." or "..", without control characters, backslashes or invalid UTF-8,
// and at most MaxPathLen bytes in all. Written under a directory, such a path stays in it
// (symlinks aside, which Materialize refuses).
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case len(p) > MaxPathLen:
		return fmt.Errorf("path of %d bytes (at most %d)", len(p), MaxPathLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not UTF-8", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("path %q holds a control character or backslash", p)
		}
	}
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "":
			return fmt.Errorf("path %q has an empty component", p)
		case ".", "..":
			return fmt.Errorf("path %q has a %q component", p, c)
		}
	}
	return nil
}

// Files returns the files in swarm order (do not modify).
func (s *Spec) Files() []File { return s.files }

// Len is the length of the encoded spec, where the first file starts.
func (s *Spec) Len() int64 { return s.specLen }

// Size is the swarm's content size: spec plus files.
func (s *Spec) Size() int64 {
	last := s.files[len(s.files)-1]
	return last.Offset + last.Size
}

// Lookup finds a file by its path.
func (s *Spec) Lookup(path string) (File, bool) {
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].Path >= path })
	if i < len(s.files) && s.files[i].Path == path {
		return s.files[i], true
	}
	return File{}, false
}

// Encode returns the spec's bytes, the first s.Len() bytes of the swarm.
func (s *Spec) Encode() []byte {
	b := make([]byte, 0, s.specLen)
	b = appendLine(b, SpecName, s.specLen)
	for _, f := range s.files {
		b = appendLine(b, f.Path, f.Size)
	}
	return b
}

func appendLine(b []byte, path string, size int64) []byte {
	b = append(b, path...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	return append(b, '\n')
}

// HeaderLen returns the spec length the first line of head announces. head must hold the
// whole first line (at most len(SpecName)+2+20 bytes are needed). ErrNotMultifile when head
// does not start with the spec's name.
func HeaderLen(head []byte) (int64, error) {
	rest, ok := bytes.CutPrefix(head, []byte(SpecName+" "))
	if !ok {
		return 0, ErrNotMultifile
	}
	line, _, found := bytes.Cut(rest, []byte{'\n'})
	if !found {
		return 0, fmt.Errorf("%w: first line not ended within %d bytes", ErrBadSpec, len(head))
	}
	n, err := parseSize(string(line))
	if err != nil {
		return 0, fmt.Errorf("%w: first line: %w", ErrBadSpec, err)
	}
	if n > MaxSpecLen {
		return 0, fmt.Errorf("%w: spec of %d bytes (at most %d)", ErrBadSpec, n, MaxSpecLen)
	}
	return n, nil
}

// Parse decodes a spec, b being exactly its bytes, and refuses anything but the canonical
// encoding of a valid spec (see the package comment).
func Parse(b []byte) (*Spec, error) {
	n, err := HeaderLen(b)
	if err != nil {
		return nil, err
	}
	if n != int64(len(b)) {
		return nil, fmt.Errorf("%w: spec says it has %d bytes, it has %d", ErrBadSpec, n, len(b))
	}
	_, body, _ := bytes.Cut(b, []byte{'\n'})
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("%w: no file lines, or the last is not ended by a newline", ErrBadSpec)
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	files := make([]File, 0, len(lines))
	for i, line := range lines {
		// The size follows the last space: paths may hold spaces (libswift reads it so).
		j := strings.LastIndexByte(line, ' ')
		if j < 0 {
			return nil, fmt.Errorf("%w: line %d has no size", ErrBadSpec, i+2)
		}
		size, err := parseSize(line[j+1:])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadSpec, i+2, err)
		}
		files = append(files, File{Path: line[:j], Size: size})
	}
	s, err := fromSorted(files)
	if err != nil {
		return nil, err
	}
	if s.specLen != n {
		// The number does not count its own digits the one way (e.g. a padded length).
		return nil, fmt.Errorf("%w: spec length %d is not the canonical %d", ErrBadSpec, n, s.specLen)
	}
	return s, nil
}

// parseSize reads a decimal byte count: digits only, no sign, no leading zeros.
func parseSize(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("size %q: want a decimal number without leading zeros", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	return n, nil
}
