package live

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// Form is what a signature covers and how its timestamp is written, which differs between
// RFC 7574 and libswift.
type Form uint8

const (
	// FormRFC: RFC 7574 §6.1.1 and §6.1.2.2. The signature covers the chunk spec as on
	// the wire ‖ the 64-bit NTP timestamp (RFC 5905) ‖ the munro hash (UMT) or the chunk
	// (Sign All).
	FormRFC Form = iota
	// FormLibswift: libswift (devel dda307f, LiveHashTree::AddSignedMunro) signs the
	// munro hash alone, and the SIGNED_INTEGRITY timestamp is its clock in microseconds
	// since the Unix epoch, not covered by the signature. libswift has no Sign All.
	FormLibswift

	// formCount is the number of forms; a Form below it indexes per-form arrays.
	formCount
)

// valid reports whether f is a form this package knows.
func (f Form) valid() bool { return f < formCount }

func (f Form) String() string {
	switch f {
	case FormRFC:
		return "rfc7574"
	case FormLibswift:
		return "libswift"
	}
	return fmt.Sprintf("form_%d", uint8(f))
}

// Timestamp writes t as the form's SIGNED_INTEGRITY timestamp.
func (f Form) Timestamp(t time.Time) uint64 {
	if f == FormLibswift {
		return uint64(t.UnixMicro())
	}
	return NTPTimestamp(t)
}

// Time reads a SIGNED_INTEGRITY timestamp written in the form.
func (f Form) Time(ts uint64) time.Time {
	if f == FormLibswift {
		if ts > math.MaxInt64 {
			ts = math.MaxInt64
		}
		return time.UnixMicro(int64(ts)).UTC()
	}
	return NTPTime(ts)
}

// ntpEpochOffset is the number of seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const ntpEpochOffset = 2208988800

// NTPTimestamp is t in the 64-bit NTP format of RFC 5905 §6: 32 bits of seconds since
// 1900-01-01 UTC, modulo 2^32 (era 1 starts in 2036), then 32 bits of fraction.
func NTPTimestamp(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// NTPTime reads an NTP timestamp. The era is not on the wire; as RFC 4330 §3 suggests,
// seconds with the top bit clear are taken to be in era 1 (from 2036-02-07).
func NTPTime(ts uint64) time.Time {
	secs, frac := int64(ts>>32), ts&0xffffffff
	if secs < 1<<31 {
		secs += 1 << 32
	}
	return time.Unix(secs-ntpEpochOffset, int64(frac*1e9>>32)).UTC()
}

// signedBytes builds what a signature covers in form f: for FormRFC the spec of
// start..end in addressing a, then the timestamp, then payload (the munro hash or the
// chunk); for FormLibswift the payload alone.
func signedBytes(dst []byte, f Form, a wire.Addressing, start, end, ts uint64, payload []byte) ([]byte, error) {
	if f == FormLibswift {
		return append(dst, payload...), nil
	}
	spec, err := specOf(a, start, end)
	if err != nil {
		return dst, err
	}
	dst, err = wire.AppendSpec(dst, a, spec)
	if err != nil {
		return dst, fmt.Errorf("sign chunks %d-%d: %w", start, end, err)
	}
	dst = binary.BigEndian.AppendUint64(dst, ts)
	return append(dst, payload...), nil
}
