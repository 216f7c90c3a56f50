package httpgw

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
)

// sniffLen is how many leading bytes sniffing looks at: enough for three MPEG-TS packets
// and http.DetectContentType's 512.
const sniffLen = 3*188 + 4

// octetStream is the type of bytes nothing recognised.
const octetStream = "application/octet-stream"

// mediaTypes maps the extensions of the containers players stream. They are checked before
// the mime package because the system's tables disagree (.ts is often Qt Linguist).
var mediaTypes = map[string]string{
	".ts":   "video/mp2t",
	".m2ts": "video/mp2t",
	".mts":  "video/mp2t",
	".mp4":  "video/mp4",
	".m4v":  "video/mp4",
	".m4a":  "audio/mp4",
	".mov":  "video/quicktime",
	".webm": "video/webm",
	".mkv":  "video/x-matroska",
	".mka":  "audio/x-matroska",
	".mp3":  "audio/mpeg",
	".ogg":  "audio/ogg",
	".ogv":  "video/ogg",
	".oga":  "audio/ogg",
	".opus": "audio/ogg",
	".flac": "audio/flac",
	".aac":  "audio/aac",
	".wav":  "audio/wav",
	".avi":  "video/x-msvideo",
	".m3u8": "application/vnd.apple.mpegurl",
}

// typeByName guesses the type from a file name's extension; "" when the name says nothing
// useful (no extension, an unknown one, or one that only means "bytes").
func typeByName(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return ""
	}
	if t, ok := mediaTypes[ext]; ok {
		return t
	}
	t := mime.TypeByExtension(ext)
	if t == octetStream {
		return ""
	}
	return t
}

// sniffType recognises the containers players stream from their first bytes, including
// the two http.DetectContentType does not know (MPEG-TS and Matroska), and falls back to
// it for the rest. It never returns "".
func sniffType(b []byte) string {
	switch {
	case isMPEGTS(b, 0, 188), isMPEGTS(b, 4, 192):
		// 188-byte transport stream packets, or BDAV's 192 (a 4-byte timestamp first).
		return "video/mp2t"
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		// EBML header: WebM is Matroska whose DocType says "webm".
		if ebmlDocType(b) == "webm" {
			return "video/webm"
		}
		return "video/x-matroska"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		// ISO base media file: the first box is ftyp; its major brand tells QuickTime and
		// audio-only files apart.
		switch string(b[8:12]) {
		case "qt  ":
			return "video/quicktime"
		case "M4A ", "M4B ":
			return "audio/mp4"
		}
		return "video/mp4"
	case bytes.HasPrefix(b, []byte("ID3")), isMPEGAudioFrame(b):
		return "audio/mpeg"
	}
	t := http.DetectContentType(b)
	if t == "" {
		return octetStream
	}
	return t
}

// isMPEGTS reports whether b holds the 0x47 sync byte at off and at every packet after it
// that b covers, for at least two packets.
func isMPEGTS(b []byte, off, packet int) bool {
	n := 0
	for i := off; i < len(b); i += packet {
		if b[i] != 0x47 {
			return false
		}
		n++
	}
	return n >= 2
}

// isMPEGAudioFrame reports whether b starts with an MPEG audio frame header: 11 sync bits,
// a layer other than the reserved 0 (which is ADTS AAC's), and bitrate and sample rate
// indexes that are not the invalid ones.
func isMPEGAudioFrame(b []byte) bool {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return false
	}
	version, layer := (b[1]>>3)&3, (b[1]>>1)&3
	bitrate, rate := b[2]>>4, (b[2]>>2)&3
	return version != 1 && layer != 0 && bitrate != 0xF && rate != 3
}

// ebmlDocType finds the DocType element (ID 0x4282) in an EBML header and returns its
// string, or "" when it is not in b. It only scans, so a malformed header gives "".
func ebmlDocType(b []byte) string {
	i := bytes.Index(b, []byte{0x42, 0x82})
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	size, n := ebmlVint(b[i+2:])
	if n == 0 || size > 64 || i+2+n+int(size) > len(b) {
		return ""
	}
	start := i + 2 + n
	return string(bytes.TrimRight(b[start:start+int(size)], "\x00"))
}

// ebmlVint decodes an EBML variable-length size: the count of leading zero bits in the
// first byte gives the length. It returns the value and the bytes used, 0 when invalid.
func ebmlVint(b []byte) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > len(b) || n > 8 {
		return 0, 0
	}
	v := uint64(b[0]) & (0xFF >> n)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}
