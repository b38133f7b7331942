package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestDurationDecode(t *testing.T) {
	for _, tt := range []struct {
		name  string
		value any // as the TOML decoder hands it over
		want  time.Duration
	}{
		{"Seconds", int64(300), 300 * time.Second},
		{"Zero", int64(0), 0},
		{"DecimalSeconds", 0.5, 500 * time.Millisecond},
		{"DigitsString", "172800", 48 * time.Hour},
		{"DecimalString", "1.5", 1500 * time.Millisecond},
		{"Minutes", "PT10M", 10 * time.Minute},
		{"Days", "P30D", 30 * 24 * time.Hour},
		{"DaysHours", "P1DT2H", 26 * time.Hour},
		{"FractionSeconds", "PT0.5S", 500 * time.Millisecond},
		{"CommaFraction", "PT0,25S", 250 * time.Millisecond},
		{"AllTimeParts", "PT1H2M3S", time.Hour + 2*time.Minute + 3*time.Second},
		{"Weeks", "P2W", 14 * 24 * time.Hour},
		{"Month", "P1M", 30 * 24 * time.Hour},
		{"Year", "P1Y", 365 * 24 * time.Hour},
		{"FractionDays", "P1.5D", 36 * time.Hour},
		{"LowerCase", "pt10m", 10 * time.Minute},
		{"Spaces", " PT1S ", time.Second},
		{"Plus", "+PT1S", time.Second},
		{"ZeroISO", "PT0S", 0},
		{"Nanosecond", "PT0.000000001S", time.Nanosecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			if err := d.UnmarshalTOML(tt.value); err != nil {
				t.Fatal(err)
			}
			if d.Duration() != tt.want {
				t.Errorf("%v decodes to %v, want %v", tt.value, d.Duration(), tt.want)
			}
		})
	}
}

func TestDurationRejects(t *testing.T) {
	for _, tt := range []struct {
		name  string
		value any
		want  string
	}{
		{"Negative", int64(-1), "negative"},
		{"NegativeFloat", -0.5, "is not a duration"},
		{"NaN", math.NaN(), "is not a duration"},
		{"Inf", math.Inf(1), "is not a duration"},
		{"TooLong", int64(math.MaxInt64), "too long"},
		{"TooLongFloat", 1e300, "too long"},
		{"NegativeISO", "-PT1S", "negative durations are not allowed"},
		{"GoSyntax", "10m", "is not a duration"},
		{"Empty", "", "it is empty"},
		{"OnlyP", "P", "is not a duration"},
		{"OnlyPT", "PT", "nothing follows T"},
		{"TrailingT", "P1DT", "nothing follows T"},
		{"NoNumber", "PTS", "is not a duration"},
		{"NoDesignator", "PT5", "is not a duration"},
		{"WrongOrder", "PT1S2M", "unexpected"},
		{"Repeated", "P1D2D", "unexpected"},
		{"DateInTime", "PT1D", "unexpected"},
		{"TwoT", "PT1HT1M", "T appears twice"},
		{"BadNumber", "PT1.2.3S", "bad number"},
		{"LeadingDot", "PT.5S", "bad number"},
		{"HugeISO", "P99999999999D", "too long"},
		{"HugeDigits", "99999999999999999999", "too long"},
		{"Bool", true, "a boolean is not a duration"},
		{"Array", []any{int64(1)}, "an array is not a duration"},
		{"Table", map[string]any{}, "a table is not a duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalTOML(tt.value)
			if err == nil {
				t.Fatalf("%v accepted as %v", tt.value, d.Duration())
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"PT10M"`) {
				t.Errorf("error %q: want %q and the accepted forms", err, tt.want)
			}
		})
	}
}

func TestDurationEncode(t *testing.T) {
	for _, tt := range []struct {
		d          time.Duration
		toml, text string
	}{
		{0, "0", "PT0S"},
		{time.Second, "1", "PT1S"},
		{172800 * time.Second, "172800", "P2D"},
		{26 * time.Hour, "93600", "P1DT2H"},
		{10 * time.Minute, "600", "PT10M"},
		{500 * time.Millisecond, `"PT0.5S"`, "PT0.5S"},
		{time.Hour + time.Nanosecond, `"PT1H0.000000001S"`, "PT1H0.000000001S"},
	} {
		b, err := Duration(tt.d).MarshalTOML()
		if err != nil || string(b) != tt.toml {
			t.Errorf("MarshalTOML(%v) = %s, %v; want %s", tt.d, b, err, tt.toml)
		}
		if got := Duration(tt.d).String(); got != tt.text {
			t.Errorf("String(%v) = %q, want %q", tt.d, got, tt.text)
		}
		// Both forms decode back to the same value.
		for _, form := range []string{tt.toml, `"` + tt.text + `"`} {
			var doc struct {
				D Duration `toml:"d"`
			}
			if _, err := toml.Decode("d = "+form, &doc); err != nil || doc.D.Duration() != tt.d {
				t.Errorf("d = %s decodes to %v, %v; want %v", form, doc.D.Duration(), err, tt.d)
			}
		}
	}
	if _, err := Duration(-1).MarshalTOML(); err == nil {
		t.Error("a negative duration encodes")
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT10M", "P30D", "P1DT2H", "PT0.5S", "300", "1.5", "-PT1S", "P1Y2M3W4DT5H6M7.8S", "PT", "P1,5D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("%q parses to a negative %v", s, d.Duration())
		}
		// The canonical form parses back to the same value.
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, d.Duration(), d.String(), back.Duration(), err)
		}
	})
}
