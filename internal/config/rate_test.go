package config

import "testing"

func TestParseRate(t *testing.T) {
	good := map[string]float64{
		"": 0, "0": 0, "100": 100, "100B": 100, "512KiB": 512 << 10, "1MiB": 1 << 20, "2GiB": 2 << 30,
		"1kB": 1000, "1KB": 1000, "1.5MB": 1.5e6, "3GB": 3e9, "10MiB/s": 10 << 20, " 1 MiB ": 1 << 20,
	}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"fast", "-1", "1Mb", "1 MiB/h", "NaN", "Inf", "1e400", "1e308GiB", "MiB", "1,5MB"} {
		if got, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, got)
		}
	}
}

func TestLimitsRates(t *testing.T) {
	c, err := Load(write(t, "[limits]\nupload = \"1MiB\"\ndownload = \"2MB\"\nswarm_upload = \"512KiB\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Rates{Upload: 1 << 20, Download: 2e6, SwarmUpload: 512 << 10, SwarmDownload: 0}
	if got := c.Limits.Rates(); got != want {
		t.Fatalf("Rates() = %+v, want %+v", got, want)
	}
}
