package main

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// rootEnvKeys are the root keys, set from the environment by their bare
// names.
var rootEnvKeys = []string{"SECRET_KEY", "SERVER_NAME", "PREFERRED_URL_SCHEME"}

// lookupEnv returns the first value of name in environ, as os.Getenv does.
func lookupEnv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// applyEnv applies the environment overrides, which win over the file.
//
// SECRET_KEY, SERVER_NAME and PREFERRED_URL_SCHEME are read by their
// names. Any other key is read from a variable naming its path with
// double underscores: SECTION__KEY, SECTION__SUBSECTION__KEY
// (CANAILLE__NAME, CANAILLE_LDAP_SERVER__LISTEN, CANAILLE__SMTP__HOST,
// CANAILLE_OIDC__JWT__ALG, CANAILLE_OIDC__USERINFO_MAPPING__SUB). Names
// are matched case-insensitively. Values take the form of the key:
// strings as they are; integers in decimal; booleans as true/false (also
// 1/0, yes/no, on/off); durations as for TOML (seconds or ISO 8601); lists
// as a TOML or JSON array (["a", "b"]) or comma-separated (a,b). Setting
// any CANAILLE__SMTP__* variable enables mail like the [CANAILLE.SMTP]
// section does. ACL sections cannot be set from the environment.
//
// A variable whose first part starts with CANAILLE and that holds "__"
// must name a known key: otherwise it is an error naming the variable
// (with a suggestion), or, for a Python Canaille key this version does not
// implement (CANAILLE_SQL__DATABASE_URI), a warning. Variables without
// "__" (CONFIG, CANAILLE_CONFIG…) are ignored.
func (c *Config) applyEnv(environ []string) (warnings []string, err error) {
	var problems []string
	seen := map[string]bool{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		var parts []string
		switch {
		case slices.Contains(rootEnvKeys, name):
			parts = []string{name}
		case strings.Contains(name, "__") && strings.HasPrefix(strings.ToUpper(name), "CANAILLE"):
			parts = strings.Split(strings.ToUpper(name), "__")
		default:
			continue
		}
		w, problem := c.setFromEnv(name, parts, value)
		if w != "" {
			warnings = append(warnings, w)
		}
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		return warnings, &ConfigError{Problems: problems}
	}
	return warnings, nil
}

// setFromEnv applies one variable; it returns a warning or a problem.
func (c *Config) setFromEnv(name string, parts []string, value string) (warning, problem string) {
	where := "environment variable " + name
	if slices.Contains(parts, "") {
		return "", where + ": an empty part between double underscores; write SECTION__KEY, such as CANAILLE__NAME"
	}
	r := resolve(parts)
	if !r.known() {
		key := strings.ToUpper(r.unknownKey())
		if kind, ok := canailleOnly[key]; ok {
			return fmt.Sprintf("%s: %s is a Python Canaille %s that this version does not implement yet; it is ignored",
				where, displayKey(key, kind == "section"), kind), ""
		}
		msg := fmt.Sprintf("%s names no configuration key (%s is unknown)", where, displayKey(key, false))
		if s := r.suggestion(); s != "" {
			fixed := append(append(append([]string{}, r.canon...), s), parts[r.n+1:]...)
			msg += fmt.Sprintf("; did you mean %s?", strings.Join(fixed, "__"))
		} else {
			msg += "; write SECTION__KEY as in config.sample.toml, such as CANAILLE__NAME"
		}
		return "", msg
	}
	key := strings.Join(r.canon, ".")
	switch {
	case r.inMap || r.typ.Kind() == reflect.Map:
		return "", where + ": ACL sections cannot be set from the environment; write [CANAILLE.ACL.<NAME>] sections in the configuration file"
	case r.typ.Kind() == reflect.Struct:
		return "", fmt.Sprintf("%s names the section [%s], not a key; name one of its keys, such as %s__%s",
			where, key, strings.Join(r.canon, "__"), tomlNames(r.typ)[0])
	}
	field := reflect.ValueOf(c).Elem()
	for _, p := range r.canon {
		f, _ := tomlField(field.Type(), p)
		field = field.FieldByIndex(f.Index)
	}
	if err := setEnvValue(field, value); err != nil {
		return "", fmt.Sprintf("%s (%s): %v", where, key, err)
	}
	c.markSet(r.canon, name)
	return "", ""
}

// setEnvValue converts an environment value to the type of v and stores it.
func setEnvValue(v reflect.Value, value string) error {
	switch p := v.Addr().Interface().(type) {
	case *Duration:
		d, err := ParseDuration(value)
		if err != nil {
			return err
		}
		*p = d
		return nil
	case *StringList:
		trimmed := strings.TrimSpace(value)
		if !strings.HasPrefix(trimmed, "[") {
			*p = splitList(value)
			return nil
		}
		var doc struct {
			V any `toml:"v"`
		}
		if _, err := toml.Decode("v = "+trimmed, &doc); err != nil {
			return fmt.Errorf(`%s is not a valid array: write ["a", "b"] or a,b`, quoteShort(value))
		}
		return p.UnmarshalTOML(doc.V)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(value)
	case reflect.Bool:
		switch strings.ToLower(strings.TrimSpace(value)) {
		case "true", "1", "yes", "on":
			v.SetBool(true)
		case "false", "0", "no", "off":
			v.SetBool(false)
		default:
			return fmt.Errorf("%s is not a boolean: write true or false", quoteShort(value))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s is not a whole number (%s)", quoteShort(value), numRange(v.Type()))
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s is not a whole number (%s)", quoteShort(value), numRange(v.Type()))
		}
		v.SetUint(n)
	default:
		return fmt.Errorf("this key cannot be set from the environment")
	}
	return nil
}

func numRange(t reflect.Type) string {
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return fmt.Sprintf("0 to %d", uint64(1)<<t.Bits()-1)
	}
	return fmt.Sprintf("%d to %d", -(int64(1) << (t.Bits() - 1)), int64(1)<<(t.Bits()-1)-1)
}
