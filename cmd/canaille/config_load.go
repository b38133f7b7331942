package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// DefaultConfigPath is read when neither --config nor CONFIG says otherwise.
const DefaultConfigPath = "/etc/canaille/config.toml"

// ConfigPath returns the configuration file to read: the --config flag
// when given, else the CONFIG environment variable when set and not empty,
// else DefaultConfigPath.
func ConfigPath(flag string, environ []string) string {
	if flag != "" {
		return flag
	}
	if v, ok := lookupEnv(environ, "CONFIG"); ok && v != "" {
		return v
	}
	return DefaultConfigPath
}

// ConfigError lists every problem found while loading or validating the
// configuration, one complete sentence per line.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// LoadConfig builds the configuration in three steps:
//
//  1. DefaultConfig();
//  2. the TOML file at path, decoded over the defaults (path "" skips this
//     step: `canaille demo` runs on defaults and environment only). A
//     missing file, a syntax error (with line and column), a value of the
//     wrong type (with its key) and every unknown key (with a suggestion
//     for near misses) are errors naming the file. Keys that Python
//     Canaille has but this version does not implement are not errors:
//     they are returned as warnings;
//  3. environment overrides, which win over the file: SECRET_KEY,
//     SERVER_NAME and PREFERRED_URL_SCHEME by their names, any other key as
//     SECTION__KEY with sections joined by double underscores
//     (CANAILLE__NAME, CANAILLE_LDAP_SERVER__LISTEN, CANAILLE__SMTP__HOST,
//     CANAILLE_OIDC__JWT__ALG). See applyEnv for the value forms.
//
// LoadConfig does not call Validate. On error the Config is nil; warnings
// found before the error are still returned.
func LoadConfig(path string, environ []string) (*Config, []string, error) {
	c := DefaultConfig()
	c.set = map[string]string{}
	var warnings []string
	if path != "" {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: the configuration file does not exist; `canaille install` does not create it: copy config.sample.toml (shipped with the packages and in the source tree) to %s and edit it, or name another file with --config or the CONFIG environment variable", path, path)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the configuration file: %w", err)
		}
		warnings, err = c.decodeFile(path, string(data))
		if err != nil {
			return nil, warnings, err
		}
		c.ConfigPath = path
	}
	envWarnings, err := c.applyEnv(environ)
	warnings = append(warnings, envWarnings...)
	if err != nil {
		return nil, warnings, err
	}
	return c, warnings, nil
}

// decodeFile decodes TOML text over c, strictly.
func (c *Config) decodeFile(path, text string) ([]string, error) {
	// Parse alone first, so that syntax errors are told apart from
	// errors about values.
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return nil, syntaxError(path, text, err)
	}
	md, err := toml.Decode(text, c)
	if err != nil {
		return nil, valueError(path, err)
	}
	for _, k := range md.Keys() {
		if r := resolve(k); r.known() {
			c.markSet(r.canon, "")
		}
	}
	var warnings, problems []string
	seen := map[string]bool{}
	for _, k := range md.Undecoded() {
		r := resolve(k)
		if r.known() {
			continue // under a free-form value (FILTER)
		}
		name := r.unknownKey()
		if seen[strings.ToUpper(name)] {
			continue
		}
		seen[strings.ToUpper(name)] = true
		if kind, ok := canailleOnly[strings.ToUpper(name)]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s is a Python Canaille %s that this version does not implement yet; it is ignored",
				path, displayKey(name, kind == "section"), kind))
			continue
		}
		what := "key"
		if t := md.Type(k[:r.n+1]...); t == "Hash" || t == "ArrayHash" || len(k) > r.n+1 {
			what = "section"
		}
		msg := fmt.Sprintf("%s: unknown %s %s", path, what, displayKey(name, what == "section"))
		if s := r.suggestion(); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		} else {
			msg += "; config.sample.toml lists every key"
		}
		problems = append(problems, msg)
	}
	if len(problems) > 0 {
		return warnings, &ConfigError{Problems: problems}
	}
	return warnings, nil
}

// markSet records that a key (canonical parts) was given by source ("" for
// the file, else an environment variable name).
func (c *Config) markSet(canon []string, source string) {
	key := strings.Join(canon, ".")
	c.set[key] = source
	if len(canon) >= 2 && canon[0] == "CANAILLE" && canon[1] == "SMTP" {
		c.Canaille.SMTP.Enabled = true
	}
}

func displayKey(name string, section bool) string {
	if section {
		return "[" + name + "]"
	}
	return name
}

// canailleOnly lists the keys and sections of Python Canaille that this
// version does not implement (CANAILLE.md section 7). Found in the file,
// they give a warning instead of an error, so that a Python Canaille
// configuration loads. A whole section gives one warning.
var canailleOnly = func() map[string]string {
	m := map[string]string{}
	keys := []string{
		"TRUSTED_HOSTS", "DEBUG", "CACHE_TYPE", "SESSION_TYPE",
		"BROKER_URL", "BROKER", "OAUTH2_TOKEN_EXPIRES_IN",
		"CANAILLE.TIMEZONE",
		"CANAILLE.SENTRY_DSN", "CANAILLE.FORCE_HTTPS", "CANAILLE.JAVASCRIPT", "CANAILLE.HTMX",
		"CANAILLE.AUTHENTICATION_FACTORS",
		"CANAILLE.OTP_METHOD", "CANAILLE.TOTP_LIFETIME", "CANAILLE.FIDO_TIMEOUT",
		"CANAILLE.FIDO_USER_VERIFICATION", "CANAILLE.FIDO_ATTESTATION", "CANAILLE.FIDO_MAX_CREDENTIALS",
		"CANAILLE.ADMIN_EMAIL", "CANAILLE.ENABLE_PASSWORD_COMPROMISSION_CHECK",
		"CANAILLE.PASSWORD_COMPROMISSION_CHECK_API_URL", "CANAILLE.CAPTCHA_ENABLED",
		"CANAILLE.CAPTCHA_LENGTH", "CANAILLE.CAPTCHA_FAILURE_THRESHOLD", "CANAILLE.OTP_LIFETIME",
		"CANAILLE.PASSWORD_LIFETIME", "CANAILLE.LOGGING",
		"CANAILLE_OIDC.ACTIVE_JWKS", "CANAILLE_OIDC.INACTIVE_JWKS",
		"CANAILLE_LDAP.POOL_MAX_LIFETIME", "CANAILLE_LDAP.POOL_RETRY_MAX",
		"CANAILLE_LDAP.POOL_RETRY_DELAY",
	}
	for _, k := range keys {
		m[k] = "setting"
	}
	for _, s := range []string{"CANAILLE.SMPP", "CANAILLE_SQL", "CANAILLE_SCIM", "CANAILLE_HYPERCORN"} {
		m[s] = "section"
	}
	return m
}()

// resolution is where a key path leads in the Config type.
type resolution struct {
	parts []string     // as written
	canon []string     // the matched parts, spelled as the Config tags
	n     int          // how many parts matched
	typ   reflect.Type // type reached after the matched parts
	inMap bool         // the path went through a map (ACL sections)
}

var configType = reflect.TypeFor[Config]()

// resolve follows a key path through the Config type, matching TOML tags
// case-insensitively as the decoder does. Everything under a field of type
// any (FILTER) counts as matched; nothing under another value does.
func resolve(parts []string) resolution {
	r := resolution{parts: parts, typ: configType}
	for r.n < len(parts) {
		switch r.typ.Kind() {
		case reflect.Struct:
			f, ok := tomlField(r.typ, parts[r.n])
			if !ok {
				return r
			}
			r.canon = append(r.canon, tomlName(f))
			r.typ = f.Type
		case reflect.Map:
			r.canon = append(r.canon, parts[r.n])
			r.typ = r.typ.Elem()
			r.inMap = true
		case reflect.Interface: // FILTER: anything below is its value
			r.canon = append(r.canon, parts[r.n:]...)
			r.n = len(parts)
			return r
		default: // a leaf value has no keys below it
			return r
		}
		r.n++
	}
	return r
}

func (r resolution) known() bool { return r.n == len(r.parts) }

// unknownKey is the dotted path up to and including the first unknown
// part.
func (r resolution) unknownKey() string {
	return toml.Key(append(append([]string{}, r.canon...), r.parts[r.n])).String()
}

// suggestion returns the key of the same table nearest to the unknown
// part (edit distance at most 2), or "".
func (r resolution) suggestion() string {
	if r.typ.Kind() != reflect.Struct {
		return ""
	}
	want := strings.ToUpper(r.parts[r.n])
	// Suggest only close names: one edit for short keys, two for longer
	// ones, so that FOO does not suggest LOGO.
	best, bestDist := "", 3
	if len(want) <= 3 {
		bestDist = 2
	}
	for _, name := range tomlNames(r.typ) {
		if d := editDistance(want, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// tomlField finds the field of struct type t whose TOML name is key,
// case-insensitively.
func tomlField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name := tomlName(f); name != "" && strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// tomlName returns the TOML key of a struct field, "" for fields that are
// not keys.
func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// tomlNames returns the TOML keys of struct type t.
func tomlNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := tomlName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// syntaxError describes a TOML parse error: file, line, column, and the
// offending line (values of secret keys are not shown).
func syntaxError(path, text string, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	line, col := pe.Position.Line, pe.Position.Col
	if start := pe.Position.Start; start >= 0 && start <= len(text) {
		// Count from the byte offset: the parser reports an error on a
		// line's final newline on the next line.
		line = strings.Count(text[:start], "\n") + 1
		col = start - strings.LastIndexByte(text[:start], '\n')
	}
	lines := strings.Split(text, "\n")
	msg := pe.Message
	var excerpt string
	if line >= 1 && line <= len(lines) {
		src := strings.TrimRight(lines[line-1], "\r")
		if key, ok := secretLine(src); ok {
			msg = "the value of " + key + " is not valid TOML (a string needs double quotes and valid escapes); the line is not shown because it holds a secret"
		} else if len(src) <= 200 {
			excerpt = fmt.Sprintf("\n%6d | %s", line, strings.ReplaceAll(src, "\t", " "))
			if col >= 1 && col <= len(src)+1 {
				excerpt += "\n" + strings.Repeat(" ", 9+col-1) + "^"
			}
		}
	}
	if col < 1 {
		col = 1
	}
	return fmt.Errorf("%s:%d:%d: syntax error: %s%s", path, line, col, msg, excerpt)
}

var secretKeyLine = regexp.MustCompile(`(?i)^\s*"?(SECRET_KEY|BIND_PW|PASSWORD)"?\s*=`)

// secretLine reports whether a TOML line sets a secret, and which key.
func secretLine(s string) (string, bool) {
	m := secretKeyLine.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return strings.ToUpper(m[1]), true
}

var (
	decodeErrorRE   = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key ("(?:[^"\\]|\\.)*")\): (.*)$`)
	incompatibleRE  = regexp.MustCompile(`^incompatible types: TOML value has type (.+); destination has type (\S+)$`)
	tableMismatchRE = regexp.MustCompile(`^type mismatch for \S+: expected table but found (.+)$`)
	outOfRangeRE    = regexp.MustCompile(`^(-?\d+) is out of range for (u?int\d*)$`)
)

// valueError rewrites a decoding error (wrong type, out of range, bad
// duration) as "file:line: KEY: what is wrong".
func valueError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key := pe.LastKey
		msg := pe.Message
		if m := outOfRangeRE.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("%s is out of range (%s)", m[1], rangeOf(m[2]))
		}
		return fmt.Errorf("%s:%d: %s: %s", path, pe.Position.Line, key, msg)
	}
	m := decodeErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	where := path
	if m[1] != "" {
		where += ":" + m[1]
	}
	key, uerr := strconv.Unquote(m[2])
	if uerr != nil {
		key = m[2]
	}
	msg := m[3]
	if mm := incompatibleRE.FindStringSubmatch(msg); mm != nil {
		msg = fmt.Sprintf("expected %s, found %s", destinationName(mm[2]), goTypeName(mm[1]))
	} else if mm := tableMismatchRE.FindStringSubmatch(msg); mm != nil {
		msg = fmt.Sprintf("this is a section: expected a table ([%s] followed by its keys), found %s", key, goTypeName(mm[1]))
	}
	return fmt.Errorf("%s: %s: %s", where, key, msg)
}

func destinationName(t string) string {
	switch t {
	case "integer":
		return "an integer"
	case "string":
		return "a string (in double quotes)"
	case "boolean":
		return "true or false"
	case "float":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "table":
		return "a table"
	}
	return t
}

func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "int64":
		return "an integer"
	case "float64":
		return "a decimal number"
	case "bool":
		return "a boolean"
	case "[]any", "[]interface {}":
		return "an array"
	case "map[string]any", "map[string]interface {}":
		return "a table"
	case "[]map[string]any", "[]map[string]interface {}":
		return "an array of tables"
	case "time.Time":
		return "a date-time"
	}
	return t
}

func rangeOf(kind string) string {
	switch kind {
	case "uint8":
		return "0 to 255"
	case "uint16":
		return "0 to 65535"
	case "uint32":
		return "0 to 4294967295"
	case "int8":
		return "-128 to 127"
	case "int16":
		return "-32768 to 32767"
	case "int32":
		return "-2147483648 to 2147483647"
	}
	return "too large or negative"
}
