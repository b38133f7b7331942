package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Duration is a configuration value holding a length of time. In TOML (and
// in environment variables) it is written either as a whole number of
// seconds (300; a decimal number such as 0.5 and a string of digits such as
// "300" are accepted too) or as an ISO 8601 duration string, as Python
// Canaille accepts: "PT10M", "P30D", "P1DT2H", "PT0.5S", "P2W". A year (Y)
// counts as 365 days and a month (M before T) as 30 days, as pydantic does.
// Negative durations are rejected.
//
// It implements toml.Unmarshaler and toml.Marshaler: whole seconds encode as
// an integer, anything finer as an ISO 8601 string.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// Seconds returns d as a (possibly fractional) number of seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// durationForms is appended to every parse error so that a person sees
// what is accepted.
const durationForms = `write a number of seconds (such as 300) or an ISO 8601 duration (such as "PT10M", "P30D", "P1DT2H" or "PT0.5S")`

// maxDurationSeconds bounds the number of seconds a Duration may hold
// (time.Duration counts nanoseconds in an int64: about 292 years).
const maxDurationSeconds = math.MaxInt64 / int64(time.Second)

// UnmarshalTOML decodes an integer or decimal number of seconds, or a string
// (digits, or an ISO 8601 duration). It never panics on any input.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("%d is negative; a duration must be 0 or more: %s", v, durationForms)
		}
		if v > maxDurationSeconds {
			return fmt.Errorf("%d seconds is too long: %s", v, durationForms)
		}
		*d = Duration(v * int64(time.Second))
		return nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("%v is not a duration: %s", v, durationForms)
		}
		if v >= float64(maxDurationSeconds) {
			return fmt.Errorf("%v seconds is too long: %s", v, durationForms)
		}
		*d = Duration(math.Round(v * float64(time.Second)))
		return nil
	case string:
		parsed, err := ParseDuration(v)
		if err != nil {
			return err
		}
		*d = parsed
		return nil
	}
	return fmt.Errorf("%s is not a duration: %s", tomlTypeName(v), durationForms)
}

// MarshalTOML encodes whole seconds as a TOML integer and anything else as
// an ISO 8601 string.
func (d Duration) MarshalTOML() ([]byte, error) {
	if d < 0 {
		return nil, errors.New("negative duration")
	}
	if time.Duration(d)%time.Second == 0 {
		return []byte(strconv.FormatInt(int64(time.Duration(d)/time.Second), 10)), nil
	}
	return []byte(strconv.Quote(d.String())), nil
}

// String returns the ISO 8601 form of d, such as "PT10M", "P2D" or
// "PT0.5S" ("PT0S" for zero). Weeks, months and years are never used, so
// the result parses back to the same value.
func (d Duration) String() string {
	if d < 0 {
		return "-" + Duration(-d).String() // only reachable when set in code
	}
	ns := int64(d)
	const day = int64(24 * time.Hour)
	days := ns / day
	ns %= day
	hours := ns / int64(time.Hour)
	ns %= int64(time.Hour)
	minutes := ns / int64(time.Minute)
	ns %= int64(time.Minute)
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if hours == 0 && minutes == 0 && ns == 0 {
		if days == 0 {
			return "PT0S"
		}
		return b.String()
	}
	b.WriteByte('T')
	if hours > 0 {
		fmt.Fprintf(&b, "%dH", hours)
	}
	if minutes > 0 {
		fmt.Fprintf(&b, "%dM", minutes)
	}
	if ns > 0 {
		secs := strconv.FormatInt(ns/int64(time.Second), 10)
		if frac := ns % int64(time.Second); frac > 0 {
			secs += strings.TrimRight(fmt.Sprintf(".%09d", frac), "0")
		}
		b.WriteString(secs + "S")
	}
	return b.String()
}

// isoUnits gives the length of each ISO 8601 designator, before the "T"
// (date part) and after it (time part).
var (
	isoDateUnits = map[byte]time.Duration{'Y': 365 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}
	isoTimeUnits = map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	isoDateOrder = "YMWD"
	isoTimeOrder = "HMS"
)

// ParseDuration parses a string of digits (seconds) or an ISO 8601 duration
// such as "PT10M", "P30D", "P1DT2H" or "PT0.5S". Designators must come in
// order (Y M W D, then T, then H M S), each at most once; a decimal fraction
// (with "." or ",") is allowed on any of them. The error says which forms
// are accepted.
func ParseDuration(s string) (Duration, error) {
	bad := func(reason string) (Duration, error) {
		if reason != "" {
			reason = " (" + reason + ")"
		}
		return 0, fmt.Errorf("%s is not a duration%s: %s", quoteShort(s), reason, durationForms)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return bad("it is empty")
	}
	if allDigits(t) {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n > maxDurationSeconds {
			return bad("too long")
		}
		return Duration(n * int64(time.Second)), nil
	}
	if allDigits(strings.Replace(t, ".", "", 1)) {
		// A decimal number of seconds, such as "0.5".
		if !validDecimal(t) {
			return bad("")
		}
		return ratDuration(t, time.Second, bad)
	}
	if t[0] == '-' {
		return bad("negative durations are not allowed")
	}
	t = strings.ToUpper(t)
	if t[0] == '+' {
		t = t[1:]
	}
	if len(t) < 2 || t[0] != 'P' {
		return bad("")
	}
	total := new(big.Rat)
	units, order := isoDateUnits, isoDateOrder
	components, inTime, timeComponents := 0, false, 0
	rest := t[1:]
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return bad("T appears twice")
			}
			inTime, units, order = true, isoTimeUnits, isoTimeOrder
			rest = rest[1:]
			if rest == "" {
				return bad("nothing follows T")
			}
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.' || rest[i] == ',') {
			i++
		}
		if i == 0 || i == len(rest) {
			return bad("")
		}
		num, unit := strings.ReplaceAll(rest[:i], ",", "."), rest[i]
		pos := strings.IndexByte(order, unit)
		if pos < 0 {
			return bad(fmt.Sprintf("unexpected %q", unit))
		}
		if !validDecimal(num) {
			return bad(fmt.Sprintf("bad number %q", num))
		}
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			return bad(fmt.Sprintf("bad number %q", num))
		}
		total.Add(total, r.Mul(r, new(big.Rat).SetInt64(int64(units[unit]))))
		if total.Cmp(new(big.Rat).SetInt64(math.MaxInt64)) > 0 {
			return bad("too long")
		}
		order = order[pos+1:] // each designator once, in order
		rest = rest[i+1:]
		components++
		if inTime {
			timeComponents++
		}
	}
	if components == 0 || (inTime && timeComponents == 0) {
		return bad("")
	}
	return ratToDuration(total, bad)
}

// ratDuration parses a valid decimal number of units.
func ratDuration(num string, unit time.Duration, bad func(string) (Duration, error)) (Duration, error) {
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return bad(fmt.Sprintf("bad number %q", num))
	}
	return ratToDuration(r.Mul(r, new(big.Rat).SetInt64(int64(unit))), bad)
}

// ratToDuration truncates a number of nanoseconds to a Duration.
func ratToDuration(ns *big.Rat, bad func(string) (Duration, error)) (Duration, error) {
	n := new(big.Int).Quo(ns.Num(), ns.Denom())
	if !n.IsInt64() {
		return bad("too long")
	}
	return Duration(n.Int64()), nil
}

// validDecimal accepts 1 to 30 digits with at most one '.' that is
// neither first nor last.
func validDecimal(s string) bool {
	if len(s) > 30 || s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	return strings.Count(s, ".") <= 1
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// quoteShort quotes s for an error message, shortening long input.
func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}

// tomlTypeName names the TOML type of a value produced by the TOML
// decoder, with its article ("an integer"), for error messages.
func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a decimal number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("a %T", v)
}
