// Package multifile lays several files out as one swarm, the way libswift does
// (`swift -M SPEC FILE...`): the swarm's bytes are a small text file, the spec, followed
// by the files in the spec's order. RFC 7574 names no such layout; it is libswift's
// convention, and following it gives the same root hash for the same files.
//
// The spec is UTF-8 text, one "PATH SIZE\n" line per entry:
//
//	META-INF-multifilespec.txt 90
//	media/a.ts 700001
//	media/b/clip.mp4 1300007
//	media/c.txt 4321
//
// The first line names the spec itself and its own length in bytes (the digits of that
// length included); the other lines name the files, sorted by path (byte order), "/"
// separating directories. File i starts where file i-1 ends, the first right after the
// spec.
//
// Paths come from peers, so Parse is strict: no absolute path, no "..", "." or empty
// component, no control characters or backslashes, no path that is both a file and a
// directory, one canonical encoding only (Parse(b).Encode() == b). Materialize writes files
// under a destination directory and refuses any symlink on the way.
package multifile
