package booster

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a Booster starts ends with Run; httptest servers close in Cleanup.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
